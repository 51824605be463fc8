package io.isomargin.demo;

import io.isomargin.abi.config.DeploymentFile;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.contracts.UniswapV2Pair;
import io.isomargin.abi.contracts.UniswapV2Router02;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * Capital-free demo: an arbitrageur that keeps one market's Uniswap V2 pool at the oracle price, as arbitrage does on a
 * real chain. When the pool's price is off by more than {@link #TOLERANCE_BPS}, it mints itself the token the pool is
 * short of (mock tokens, local chains only) and sells it through the router until the pool's reserves stand at the
 * oracle price: after a price drop it sells collateral, after the keeper's liquidations sold collateral it buys it
 * back. Each trade is one atomic router swap, so a liquidation landing in the same block cannot take its input.
 */
final class PoolArbitrageur {
    /** Pool and oracle within this many basis points: no trade. */
    static final long TOLERANCE_BPS = 5;
    private static final BigInteger SCALE = BigInteger.TEN.pow(36);
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    private final Web3j web3j;
    private final long chainId;
    private final Credentials who;
    private final DeploymentFile.Market market;
    private final String router;
    private final UniswapV2Pair pair;
    private final IsomarginLens lens;
    private final boolean loanIsToken0;
    private boolean approved;
    private int trades;

    PoolArbitrageur(Web3j web3j, long chainId, Credentials who, DeploymentFile deployment,
            DeploymentFile.Market market) throws Exception {
        this.web3j = web3j;
        this.chainId = chainId;
        this.who = who;
        this.market = market;
        this.router = deployment.uniswap().router();
        StaticGasProvider none = new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO);
        this.pair = UniswapV2Pair.load(market.pair(), web3j, new ReadonlyTransactionManager(web3j, who.getAddress()),
                none);
        this.lens = IsomarginLens.load(deployment.lens(), web3j, new ReadonlyTransactionManager(web3j,
                who.getAddress()), none);
        this.loanIsToken0 = pair.token0().send().equalsIgnoreCase(market.loanToken());
    }

    /** Trades made so far. */
    int trades() {
        return trades;
    }

    /**
     * Brings the pool to the oracle price when it is off by more than the tolerance, waiting for the trade to be
     * mined; returns the gap it found, in basis points of the oracle price (positive: the pool was above it).
     */
    long peg() throws Exception {
        BigInteger price = lens.price(market.id()).send();
        var r = pair.getReserves().send();
        BigInteger loan = loanIsToken0 ? r.component1() : r.component2();
        BigInteger coll = loanIsToken0 ? r.component2() : r.component1();
        BigInteger poolPrice = loan.multiply(SCALE).divide(coll);
        long gapBps = poolPrice.subtract(price).multiply(BigInteger.valueOf(10_000)).divide(price).longValue();
        if (Math.abs(gapBps) <= TOLERANCE_BPS) return gapBps;
        BigInteger k = loan.multiply(coll);
        String tokenIn;
        String tokenOut;
        BigInteger amountIn;
        if (gapBps > 0) { // the pool pays too much for collateral: sell collateral until coll' = sqrt(k / price)
            amountIn = k.multiply(SCALE).divide(price).sqrt().subtract(coll);
            tokenIn = market.collateralToken();
            tokenOut = market.loanToken();
        } else { // collateral too cheap in the pool: buy it with loan tokens until loan' = sqrt(k x price)
            amountIn = k.multiply(price).divide(SCALE).sqrt().subtract(loan);
            tokenIn = market.loanToken();
            tokenOut = market.collateralToken();
        }
        if (amountIn.signum() <= 0) return gapBps;
        StaticGasProvider none = new StaticGasProvider(BigInteger.ZERO, BigInteger.ZERO);
        MockERC20 in = MockERC20.load(tokenIn, web3j, new ReadonlyTransactionManager(web3j, who.getAddress()), none);
        UniswapV2Router02 r02 = UniswapV2Router02.load(router, web3j, new ReadonlyTransactionManager(web3j,
                who.getAddress()), none);
        TxBatch batch = new TxBatch(web3j, who, chainId);
        batch.send(tokenIn, in.mint(who.getAddress(), amountIn).encodeFunctionCall(), 100_000);
        if (!approved) {
            batch.send(market.collateralToken(), MockERC20.load(market.collateralToken(), web3j,
                    new ReadonlyTransactionManager(web3j, who.getAddress()), none).approve(router, MAX)
                    .encodeFunctionCall(), 100_000);
            batch.send(market.loanToken(), MockERC20.load(market.loanToken(), web3j,
                    new ReadonlyTransactionManager(web3j, who.getAddress()), none).approve(router, MAX)
                    .encodeFunctionCall(), 100_000);
            approved = true;
        }
        batch.send(router, r02.swapExactTokensForTokens(amountIn, BigInteger.ZERO, List.of(tokenIn, tokenOut),
                who.getAddress(), BigInteger.valueOf(Long.MAX_VALUE)).encodeFunctionCall(), 300_000);
        batch.await(Duration.ofMinutes(1));
        trades++;
        return gapBps;
    }
}
