package io.isomargin.abi.testing;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginEngine.RiskParams;
import io.isomargin.abi.contracts.IsomarginEngine.RiskUpdate;
import io.isomargin.abi.contracts.IsomarginLens;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.contracts.IsomarginEngine.MarketConfig;
import io.isomargin.abi.contracts.IsomarginEngine.MarketParams;
import io.isomargin.abi.contracts.IsomarginEngine.RateModel;
import io.isomargin.abi.contracts.IsomarginEngine.Tier;
import io.isomargin.abi.contracts.MockAggregator;
import io.isomargin.abi.contracts.MockERC20;
import io.isomargin.abi.contracts.SwapLiquidator;
import io.isomargin.abi.contracts.UniswapV2Factory;
import io.isomargin.abi.contracts.UniswapV2Pair;
import io.isomargin.abi.contracts.UniswapV2Router02;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The local deployment of {@code contracts/script/DeployLocal.s.sol}, made through the generated bindings: the
 * engine (owner and guardian: dev account 0), its lens ({@code IsomarginLens}: health, price, debt and the other
 * accrued-to-now views, deployed right after the engine), the margin guard ({@code MarginGuard}), USDC (6 decimals), WETH and LINK (18 decimals), two 8-decimal feeds
 * (ETH/USD 2,000, LINK/USD 15) and two three-tier markets, WETH/USDC (10% base maintenance margin) and LINK/USDC (15%).
 *
 * <p>The contract handles are bound to the deployer; use {@link #engineAs}, {@link #lensAs}, {@link #tokenAs} for
 * other senders.
 * Dev account 0 is the deployer; tests should use accounts 1 and up as lenders, borrowers and liquidators.
 *
 * @param chain      the chain it lives on (Anvil or Hardhat)
 * @param deployer   dev account 0: engine owner and guardian, owner of every feed
 * @param engine     the engine
 * @param lens       the engine's lens (views accrued to the current block)
 * @param guard      the margin guard (pre-authorized top-ups from owners' wallets)
 * @param wethMarket id of the WETH/USDC market
 * @param linkMarket id of the LINK/USDC market
 * @param capitalFree the capital-free liquidation periphery ({@link #withCapitalFree}), or null
 */
public record Deployment(
        TestChain chain,
        Credentials deployer,
        IsomarginEngine engine,
        IsomarginLens lens,
        MarginGuard guard,
        MockERC20 usdc,
        MockERC20 weth,
        MockERC20 link,
        MockAggregator wethFeed,
        MockAggregator linkFeed,
        BigInteger wethMarket,
        BigInteger linkMarket,
        CapitalFree capitalFree) {

    /** A deployment without the capital-free periphery. */
    public Deployment(TestChain chain, Credentials deployer, IsomarginEngine engine, IsomarginLens lens,
            MarginGuard guard, MockERC20 usdc, MockERC20 weth, MockERC20 link, MockAggregator wethFeed,
            MockAggregator linkFeed, BigInteger wethMarket, BigInteger linkMarket) {
        this(chain, deployer, engine, lens, guard, usdc, weth, link, wethFeed, linkFeed, wethMarket, linkMarket, null);
    }

    /**
     * What {@code DeployLocal.s.sol} deploys with {@code UNISWAP_DEPTH}: Uniswap V2 (factory and Router02 from the
     * npm packages' artifacts, exported to {@code abi/}), one pool per default market seeded at the oracle price, and
     * the {@code SwapLiquidator} (owner: the deployer).
     */
    public record CapitalFree(UniswapV2Factory factory, UniswapV2Router02 router, SwapLiquidator liquidator,
            Map<BigInteger, UniswapV2Pair> pairs) {
        /** The market's pool. */
        public UniswapV2Pair pair(BigInteger marketId) {
            UniswapV2Pair p = pairs.get(marketId);
            if (p == null) throw new IllegalArgumentException("no pool for market " + marketId);
            return p;
        }
    }

    /** A pool's reserves in the market's terms: loan-token and collateral base units. */
    public record Reserves(BigInteger loan, BigInteger collateral) {}

    /** Initial ETH/USD answer (8 decimals): $2,000. */
    public static final BigInteger WETH_PRICE = BigInteger.valueOf(2_000_00000000L);
    /** Initial LINK/USD answer (8 decimals): $15. */
    public static final BigInteger LINK_PRICE = BigInteger.valueOf(15_00000000L);
    /** Decimals of the default feeds. */
    public static final int FEED_DECIMALS = 8;

    private static final long YEAR = 365L * 24 * 3600;
    private static final BigInteger WAD = BigInteger.TEN.pow(18);
    private static final BigInteger UINT128_MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private static final BigInteger SCALE = BigInteger.TEN.pow(36); // the engine's price scale

    /** A market made by {@link #createMarket(int, int, int, BigInteger)}: fresh tokens and feed. */
    public record Market(BigInteger id, MockERC20 loan, MockERC20 collateral, MockAggregator feed) {}

    /** Deploys the engine, its lens, tokens, feeds and the two default markets. About 9 transactions. */
    public static Deployment deploy(TestChain chain) {
        Credentials deployer = chain.credentials(0);
        String me = deployer.getAddress();
        var tm = chain.txManager(deployer);
        var gas = chain.gasProvider();
        var web3j = chain.web3j();
        try {
            IsomarginEngine engine = IsomarginEngine.deploy(web3j, tm, gas, me, me).send();
            IsomarginLens lens = IsomarginLens.deploy(web3j, tm, gas, engine.getContractAddress()).send();
            MarginGuard guard = MarginGuard.deploy(web3j, tm, gas, lens.getContractAddress()).send();
            MockERC20 usdc = MockERC20.deploy(web3j, tm, gas, "USD Coin", "USDC", BigInteger.valueOf(6)).send();
            MockERC20 weth = MockERC20.deploy(web3j, tm, gas, "Wrapped Ether", "WETH", BigInteger.valueOf(18)).send();
            MockERC20 link = MockERC20.deploy(web3j, tm, gas, "ChainLink Token", "LINK", BigInteger.valueOf(18)).send();
            MockAggregator wethFeed = MockAggregator.deploy(web3j, tm, gas, me, BigInteger.valueOf(FEED_DECIMALS),
                    "ETH / USD", WETH_PRICE).send();
            MockAggregator linkFeed = MockAggregator.deploy(web3j, tm, gas, me, BigInteger.valueOf(FEED_DECIMALS),
                    "LINK / USD", LINK_PRICE).send();
            BigInteger wethMarket = createMarket(engine,
                    defaultParams(usdc.getContractAddress(), weth.getContractAddress(), wethFeed.getContractAddress(), 6, 1_000));
            BigInteger linkMarket = createMarket(engine,
                    defaultParams(usdc.getContractAddress(), link.getContractAddress(), linkFeed.getContractAddress(), 6, 1_500));
            return new Deployment(chain, deployer, engine, lens, guard, usdc, weth, link, wethFeed, linkFeed, wethMarket,
                    linkMarket);
        } catch (Exception e) {
            throw new IllegalStateException("deployment failed: " + e.getMessage(), e);
        }
    }

    /**
     * The market parameters of {@code DeployLocal.s.sol}: three tiers (base; above 250k; above 2.5M loan-token units of
     * collateral value) with maintenance {@code baseMmBps}, +500, +1,500 and initial margin twice the base
     * maintenance, +500, +1,500; 5% liquidation bonus, 20% protocol fee, 50% close factor, 10% reserve factor,
     * minimum debt 10 loan tokens, 1-day oracle age, no caps, 1% + 4% below an 80% kink, +300% above.
     *
     * @param loanDecimals scales the tier thresholds and the minimum debt
     */
    public static MarketParams defaultParams(String loan, String collateral, String feed, int loanDecimals, int baseMmBps) {
        BigInteger unit = BigInteger.TEN.pow(loanDecimals);
        List<Tier> tiers = List.of(
                tier(BigInteger.ZERO, baseMmBps * 2, baseMmBps),
                tier(unit.multiply(BigInteger.valueOf(250_000)), baseMmBps * 2 + 500, baseMmBps + 500),
                tier(unit.multiply(BigInteger.valueOf(2_500_000)), baseMmBps * 2 + 1_500, baseMmBps + 1_500));
        RateModel rates = new RateModel(
                perSecond(WAD.divide(BigInteger.valueOf(100))),      // 1% a year
                perSecond(WAD.divide(BigInteger.valueOf(25))),       // 4% a year
                perSecond(WAD.multiply(BigInteger.valueOf(3))),      // 300% a year
                WAD.multiply(BigInteger.valueOf(8)).divide(BigInteger.TEN)); // kink 80%
        return new MarketParams(loan, collateral, feed,
                BigInteger.valueOf(24 * 3600),
                tiers,
                BigInteger.valueOf(500), BigInteger.valueOf(2_000), BigInteger.valueOf(5_000), BigInteger.valueOf(1_000),
                unit.multiply(BigInteger.TEN),
                UINT128_MAX, UINT128_MAX,
                rates);
    }

    /** {@code whole * 10^decimals}, e.g. {@code units(1_000, 6)} is 1,000 USDC. */
    public static BigInteger units(long whole, int decimals) {
        return BigInteger.valueOf(whole).multiply(BigInteger.TEN.pow(decimals));
    }

    /* CAPITAL-FREE LIQUIDATION */

    /**
     * Deploys Uniswap V2, a pool for each default market seeded at the oracle price with {@code depth} whole USDC
     * (and the collateral worth as much) on each side, and a {@code SwapLiquidator} owned by the deployer with
     * {@code operators} allowed to liquidate through it; returns this deployment with them. About 14 transactions.
     */
    public Deployment withCapitalFree(long depth, String... operators) {
        var tm = chain.txManager(deployer);
        var gas = chain.gasProvider();
        var web3j = chain.web3j();
        try {
            UniswapV2Factory factory = UniswapV2Factory.deploy(web3j, tm, gas, deployer.getAddress()).send();
            UniswapV2Router02 router = UniswapV2Router02.deploy(web3j, tm, gas, factory.getContractAddress(),
                    weth.getContractAddress()).send();
            SwapLiquidator liquidator = SwapLiquidator.deploy(web3j, tm, gas, lens.getContractAddress(),
                    router.getContractAddress(), deployer.getAddress()).send();
            for (String operator : operators) call(liquidator.setOperator(operator, true)::send);
            Deployment d = new Deployment(chain, deployer, engine, lens, guard, usdc, weth, link, wethFeed, linkFeed,
                    wethMarket, linkMarket, new CapitalFree(factory, router, liquidator, new LinkedHashMap<>()));
            d.seedPool(wethMarket, units(depth, 6));
            d.seedPool(linkMarket, units(depth, 6));
            return d;
        } catch (Exception e) {
            throw new IllegalStateException("capital-free deployment failed: " + e.getMessage(), e);
        }
    }

    /**
     * Creates the market's pool when missing (registering it with this deployment) and adds {@code loanAmount} loan
     * base units with the collateral worth as much at the oracle price; the liquidity tokens go to the deployer.
     */
    public UniswapV2Pair seedPool(BigInteger marketId, BigInteger loanAmount) {
        CapitalFree cf = requireCapitalFree();
        MarketConfig config = call(engine.marketConfig(marketId)::send);
        String address = call(cf.factory().getPair(config.loanToken, config.collateralToken)::send);
        if (new BigInteger(address.substring(2), 16).signum() == 0) {
            call(cf.factory().createPair(config.loanToken, config.collateralToken)::send);
            address = call(cf.factory().getPair(config.loanToken, config.collateralToken)::send);
        }
        UniswapV2Pair pair = UniswapV2Pair.load(address, chain.web3j(), chain.txManager(deployer), chain.gasProvider());
        cf.pairs().put(marketId, pair);
        BigInteger price = call(lens.price(marketId)::send);
        BigInteger collateral = loanAmount.multiply(SCALE).divide(price);
        call(tokenAs(config.loanToken, deployer).mint(address, loanAmount)::send);
        call(tokenAs(config.collateralToken, deployer).mint(address, collateral)::send);
        call(pair.mint(deployer.getAddress())::send);
        return pair;
    }

    /** The market's pool reserves. */
    public Reserves reserves(BigInteger marketId) {
        UniswapV2Pair pair = requireCapitalFree().pair(marketId);
        var r = call(pair.getReserves()::send);
        String loan = call(engine.marketConfig(marketId)::send).loanToken;
        boolean loanFirst = call(pair.token0()::send).equalsIgnoreCase(loan);
        return loanFirst ? new Reserves(r.component1(), r.component2()) : new Reserves(r.component2(), r.component1());
    }

    /**
     * Moves the market's pool to the oracle price, as arbitrage would after a price update: adds to the side that must
     * grow (minted) and syncs, so the pool's price equals the oracle's to rounding with no trade.
     */
    public TransactionReceipt pegPool(BigInteger marketId) {
        UniswapV2Pair pair = requireCapitalFree().pair(marketId);
        MarketConfig config = call(engine.marketConfig(marketId)::send);
        BigInteger price = call(lens.price(marketId)::send);
        Reserves r = reserves(marketId);
        BigInteger wantCollateral = r.loan().multiply(SCALE).divide(price);
        if (wantCollateral.compareTo(r.collateral()) > 0) {
            call(tokenAs(config.collateralToken, deployer).mint(pair.getContractAddress(),
                    wantCollateral.subtract(r.collateral()))::send);
        } else {
            BigInteger wantLoan = r.collateral().multiply(price).divide(SCALE);
            if (wantLoan.compareTo(r.loan()) > 0) {
                call(tokenAs(config.loanToken, deployer).mint(pair.getContractAddress(),
                        wantLoan.subtract(r.loan()))::send);
            }
        }
        return call(pair.sync()::send);
    }

    /** The SwapLiquidator, with calls made from {@code sender}. */
    public SwapLiquidator liquidatorAs(Credentials sender) {
        return SwapLiquidator.load(requireCapitalFree().liquidator().getContractAddress(), chain.web3j(),
                chain.txManager(sender), chain.gasProvider());
    }

    private CapitalFree requireCapitalFree() {
        if (capitalFree == null) throw new IllegalStateException("no capital-free periphery: call withCapitalFree");
        return capitalFree;
    }

    /* MARKETS */

    /** Creates a market from {@code params} (as the owner); returns its id. */
    public BigInteger createMarket(MarketParams params) {
        return createMarket(engine, params);
    }

    /**
     * Creates a market on fresh tokens and a fresh feed with the given decimals and the
     * {@link #defaultParams default parameters} (10% base maintenance margin), so tests can cover any decimal combo.
     *
     * @param answer the feed's initial answer: price of one collateral token in loan tokens, {@code oracleDecimals}
     */
    public Market createMarket(int loanDecimals, int collateralDecimals, int oracleDecimals, BigInteger answer) {
        var tm = chain.txManager(deployer);
        var gas = chain.gasProvider();
        var web3j = chain.web3j();
        try {
            MockERC20 loan = MockERC20.deploy(web3j, tm, gas, "Loan" + loanDecimals, "L" + loanDecimals,
                    BigInteger.valueOf(loanDecimals)).send();
            MockERC20 coll = MockERC20.deploy(web3j, tm, gas, "Collateral" + collateralDecimals, "C" + collateralDecimals,
                    BigInteger.valueOf(collateralDecimals)).send();
            MockAggregator feed = MockAggregator.deploy(web3j, tm, gas, deployer.getAddress(),
                    BigInteger.valueOf(oracleDecimals), "C / L", answer).send();
            BigInteger id = createMarket(defaultParams(loan.getContractAddress(), coll.getContractAddress(),
                    feed.getContractAddress(), loanDecimals, 1_000));
            return new Market(id, loan, coll, feed);
        } catch (Exception e) {
            throw new IllegalStateException("createMarket failed: " + e.getMessage(), e);
        }
    }

    /* DEPLOYMENT FILE */

    /** The block the engine was deployed in. */
    public long deployBlock() {
        return engine.getTransactionReceipt().orElseThrow().getBlockNumber().longValueExact();
    }

    /**
     * Writes this deployment as the forge scripts' deployment JSON (the file the services' configs name), with its
     * two default markets (and, with the capital-free periphery, the liquidator, Uniswap and each market's pool), to
     * {@code file}; returns {@code file}.
     */
    public Path writeDeploymentFile(Path file) throws IOException {
        String owner = deployer.getAddress();
        String periphery = capitalFree == null ? "" : """
                "liquidator": "%s", "uniswap": {"factory": "%s", "router": "%s"},
                """.formatted(capitalFree.liquidator().getContractAddress(),
                capitalFree.factory().getContractAddress(), capitalFree.router().getContractAddress());
        return Files.writeString(file, """
                {"chainId": %d, "engine": "%s", "lens": "%s", "guard": "%s", "deployBlock": %d, "owner": "%s", "guardian": "%s",
                 %s"markets": [
                   {"id": %s, "name": "WETH/USDC", "loanToken": "%s", "collateralToken": "%s", "oracle": "%s"%s},
                   {"id": %s, "name": "LINK/USDC", "loanToken": "%s", "collateralToken": "%s", "oracle": "%s"%s}]}
                """.formatted(chain.chainId(), engine.getContractAddress(), lens.getContractAddress(), guard.getContractAddress(), deployBlock(),
                owner, owner, periphery,
                wethMarket, usdc.getContractAddress(), weth.getContractAddress(), wethFeed.getContractAddress(),
                pairField(wethMarket),
                linkMarket, usdc.getContractAddress(), link.getContractAddress(), linkFeed.getContractAddress(),
                pairField(linkMarket)));
    }

    private String pairField(BigInteger marketId) {
        if (capitalFree == null || !capitalFree.pairs().containsKey(marketId)) return "";
        return ", \"pair\": \"" + capitalFree.pair(marketId).getContractAddress() + "\"";
    }

    /* ACTIONS */

    /** Mints {@code assets} USDC to {@code lender} and supplies them to the WETH/USDC market. */
    public TransactionReceipt fundAndSupply(Credentials lender, BigInteger assets) {
        return fundAndSupply(lender, wethMarket, assets);
    }

    /** Mints {@code assets} of the market's loan token to {@code lender}, approves and supplies them to the market. */
    public TransactionReceipt fundAndSupply(Credentials lender, BigInteger marketId, BigInteger assets) {
        MarketConfig config = call(engine.marketConfig(marketId)::send);
        mintAndApprove(lender, config.loanToken, assets);
        return call(engineAs(lender).supply(marketId, assets, lender.getAddress())::send);
    }

    /** Mints {@code collateral} of the market's collateral token to {@code owner}, approves it and opens a vault
     * borrowing {@code borrow}; returns the vault id from the {@code VaultOpened} event. */
    public BigInteger openVault(Credentials owner, BigInteger marketId, BigInteger collateral, BigInteger borrow) {
        MarketConfig config = call(engine.marketConfig(marketId)::send);
        mintAndApprove(owner, config.collateralToken, collateral);
        TransactionReceipt receipt = call(engineAs(owner).openVault(marketId, collateral, borrow)::send);
        return IsomarginEngine.getVaultOpenedEvents(receipt).get(0).vaultId;
    }

    /** Publishes a new answer on the market's feed (as the feed owner), timestamped with the next block. */
    public TransactionReceipt setPrice(BigInteger marketId, BigInteger answer) {
        MarketConfig config = call(engine.marketConfig(marketId)::send);
        MockAggregator feed = MockAggregator.load(config.oracle, chain.web3j(), chain.txManager(deployer),
                chain.gasProvider());
        return call(feed.setAnswer(answer)::send);
    }

    /** Mints {@code amount} of {@code token} to {@code who} and approves the engine for it (as {@code who}). */
    public void mintAndApprove(Credentials who, String token, BigInteger amount) {
        MockERC20 erc20 = tokenAs(token, who);
        call(erc20.mint(who.getAddress(), amount)::send);
        call(erc20.approve(engine.getContractAddress(), amount)::send);
    }

    /* RISK PARAMETERS (timelock) */

    /** The market's current risk parameters as a {@code setRiskParams} update (to change a field or two of). */
    public RiskUpdate riskUpdate(BigInteger marketId) {
        RiskParams r = call(engine.riskParams(marketId)::send);
        return new RiskUpdate(r.maxOracleAge, r.liquidationBonusBps, r.protocolFeeBps, r.closeFactorBps,
                r.reserveFactorBps, r.minDebt, r.rateModel);
    }

    /**
     * Changes the market's risk parameters as the owner, through the timelock when the change tightens anything:
     * {@code setRiskParams}, then (when it was only proposed) {@code evm_increaseTime} past {@code RISK_TIMELOCK}
     * and {@code executeRiskParams}. Returns the receipt of the transaction that applied it.
     */
    public TransactionReceipt changeRiskParams(BigInteger marketId, RiskUpdate update) {
        TransactionReceipt proposed = call(engine.setRiskParams(marketId, update)::send);
        if (IsomarginEngine.getRiskParamsProposedEvents(proposed).isEmpty()) return proposed; // loosened: applied
        long timelock = call(engine.RISK_TIMELOCK()::send).longValueExact();
        chain.increaseTime(timelock);
        return call(engine.executeRiskParams(marketId)::send);
    }

    /* HANDLES FOR OTHER SENDERS */

    /** The engine, with transactions sent by {@code sender}. */
    public IsomarginEngine engineAs(Credentials sender) {
        return IsomarginEngine.load(engine.getContractAddress(), chain.web3j(), chain.txManager(sender),
                chain.gasProvider());
    }

    /** The margin guard, with calls made from {@code sender}. */
    public MarginGuard guardAs(Credentials sender) {
        return MarginGuard.load(guard.getContractAddress(), chain.web3j(), chain.txManager(sender), chain.gasProvider());
    }

    /** The lens, with calls made from {@code sender}. */
    public IsomarginLens lensAs(Credentials sender) {
        return IsomarginLens.load(lens.getContractAddress(), chain.web3j(), chain.txManager(sender),
                chain.gasProvider());
    }

    /** The MockERC20 at {@code address}, with transactions sent by {@code sender}. */
    public MockERC20 tokenAs(String address, Credentials sender) {
        return MockERC20.load(address, chain.web3j(), chain.txManager(sender), chain.gasProvider());
    }

    /* INTERNALS */

    private static BigInteger createMarket(IsomarginEngine engine, MarketParams params) {
        TransactionReceipt receipt = call(engine.createMarket(params)::send);
        return IsomarginEngine.getMarketCreatedEvents(receipt).get(0).marketId;
    }

    private static Tier tier(BigInteger minValue, int imBps, int mmBps) {
        return new Tier(minValue, BigInteger.valueOf(imBps), BigInteger.valueOf(mmBps));
    }

    private static BigInteger perSecond(BigInteger perYear) {
        return perYear.divide(BigInteger.valueOf(YEAR));
    }

    /** A remote call that may throw a checked exception. */
    @FunctionalInterface
    private interface Remote<T> {
        T send() throws Exception;
    }

    private static <T> T call(Remote<T> remote) {
        try {
            return remote.send();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
