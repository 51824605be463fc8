package io.isomargin.indexer.testing;

import static io.isomargin.abi.testing.Deployment.units;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.IsomarginEngine.RateModel;
import io.isomargin.abi.testing.Deployment;
import java.math.BigInteger;
import java.util.List;
import org.web3j.crypto.Credentials;

/**
 * A scripted life of the two default markets that emits every event the mirror handles: supply, open (with deposit
 * and borrow), deposit, operator approval and an operator's withdrawal, borrow, interest, repay, pause and unpause,
 * every parameter update (risk parameters through the timelock: a proposal replaced by another, that one cancelled,
 * a third executed after the delay, then a change that loosens every field and applies at once; a proposal left
 * pending on the LINK market), price updates on both feeds, insurance funding, a partial liquidation, a liquidation
 * with bad debt, close, withdraw and redeem. Split in two halves so a test can stop the indexer in between.
 */
public final class Scenario {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
    private static final BigInteger WETH = BigInteger.TEN.pow(18);

    private final Deployment d;
    public final Credentials lender;
    public final Credentials borrower;
    public final Credentials borrower2;
    public final Credentials borrower3;
    public final Credentials liquidator;
    public final Credentials operator;
    public final Credentials lender2;
    private BigInteger vaultA;
    private BigInteger vaultB;
    private BigInteger vaultC;

    public Scenario(Deployment d) {
        this.d = d;
        var chain = d.chain();
        lender = chain.credentials(1);
        borrower = chain.credentials(2);
        borrower2 = chain.credentials(3);
        borrower3 = chain.credentials(4);
        liquidator = chain.credentials(5);
        operator = chain.credentials(6);
        lender2 = chain.credentials(7);
    }

    /** Every account that supplies, as addresses, for comparing lender shares. */
    public List<String> lenders() {
        return List.of(lender.getAddress(), lender2.getAddress());
    }

    /** Supply, vaults, operator, borrow, interest, repay, pause, parameter changes. */
    public void firstHalf() throws Exception {
        d.fundAndSupply(lender, d.wethMarket(), units(100_000, 6));
        d.fundAndSupply(lender2, d.linkMarket(), units(5_000, 6));
        vaultA = d.openVault(borrower, d.wethMarket(), units(10, 18), units(8_000, 6));
        d.mintAndApprove(borrower, d.weth().getContractAddress(), WETH);
        send(d.engineAs(borrower).depositCollateral(vaultA, WETH)::send);
        send(d.engineAs(borrower).setOperator(operator.getAddress(), true)::send);
        send(d.engineAs(operator).withdrawCollateral(vaultA, WETH.divide(BigInteger.TWO), operator.getAddress())::send);
        send(d.engineAs(borrower).borrow(vaultA, units(1_000, 6), borrower.getAddress())::send);
        d.chain().increaseTime(3_600);
        approveMax(borrower, d.usdc().getContractAddress());
        send(d.engineAs(borrower).repay(vaultA, units(500, 6))::send);

        IsomarginEngine owner = d.engine();
        BigInteger m = d.wethMarket();
        send(owner.setPaused(m, true)::send);
        send(owner.setPaused(m, false)::send);
        // tightening changes wait out the timelock: one replaced by a second, which is cancelled; a third executes
        RateModel rates = new RateModel(BigInteger.valueOf(400_000_000L), BigInteger.valueOf(1_500_000_000L),
                BigInteger.valueOf(90_000_000_000L), WETH.multiply(BigInteger.valueOf(85)).divide(BigInteger.valueOf(100)));
        send(owner.setRiskParams(m, update(86_400, 700, 2_000, 5_000, 1_000, units(20, 6), rates))::send);
        send(owner.setRiskParams(m, update(86_400, 500, 3_000, 5_000, 1_000, units(10, 6), rates))::send);
        send(owner.cancelRiskParams(m)::send);
        send(owner.setRiskParams(m, update(86_400, 600, 2_500, 6_000, 1_500, units(10, 6), rates))::send);
        d.chain().increaseTime(d.engine().RISK_TIMELOCK().send().longValueExact());
        send(d.engineAs(liquidator).executeRiskParams(m)::send); // anyone may execute
        d.setPrice(m, Deployment.WETH_PRICE); // a day passed: a fresh answer for the vaults' next operations
        // one that only loosens (a lower reserve factor; the oracle age unchanged, as any change of it waits) applies
        // at once
        send(owner.setRiskParams(m, update(86_400, 600, 2_500, 6_000, 1_200, units(10, 6), rates))::send);
        send(owner.setCaps(m, units(10_000_000, 6), units(5_000_000, 6))::send);
        send(owner.setMarginTiers(m, bps(2_000, 2_500, 3_500), bps(1_100, 1_600, 2_600),
                BigInteger.valueOf(86_400))::send);
        // left pending for the rest of the scenario: a higher LINK minimum debt
        send(owner.setRiskParams(d.linkMarket(), pendingLinkUpdate())::send);
    }

    /** The LINK market's change the scenario leaves pending: the default parameters with a 20 USDC minimum debt. */
    public static IsomarginEngine.RiskUpdate pendingLinkUpdate() {
        var p = Deployment.defaultParams("0x0000000000000000000000000000000000000001",
                "0x0000000000000000000000000000000000000002", "0x0000000000000000000000000000000000000003", 6, 1_500);
        return new IsomarginEngine.RiskUpdate(p.maxOracleAge, p.liquidationBonusBps, p.protocolFeeBps,
                p.closeFactorBps, p.reserveFactorBps, units(20, 6), p.rateModel);
    }

    /** A RiskUpdate (bps and seconds as ints). */
    public static IsomarginEngine.RiskUpdate update(long maxOracleAge, int bonusBps, int feeBps, int closeFactorBps,
            int reserveFactorBps, BigInteger minDebt, RateModel rates) {
        return new IsomarginEngine.RiskUpdate(BigInteger.valueOf(maxOracleAge), BigInteger.valueOf(bonusBps),
                BigInteger.valueOf(feeBps), BigInteger.valueOf(closeFactorBps), BigInteger.valueOf(reserveFactorBps),
                minDebt, rates);
    }

    /** More vaults, insurance, prices, a partial and a bad-debt liquidation, close, withdraw, redeem. */
    public void secondHalf() throws Exception {
        vaultB = d.openVault(borrower2, d.wethMarket(), WETH, units(1_200, 6));
        vaultC = d.openVault(borrower3, d.wethMarket(), WETH, units(1_500, 6));
        d.mintAndApprove(lender, d.usdc().getContractAddress(), units(100, 6));
        send(d.engineAs(lender).fundInsurance(d.wethMarket(), units(100, 6))::send);
        d.setPrice(d.linkMarket(), BigInteger.valueOf(16_00000000L));
        d.setPrice(d.wethMarket(), BigInteger.valueOf(1_650_00000000L));

        d.mintAndApprove(liquidator, d.usdc().getContractAddress(), units(10_000, 6));
        send(d.engineAs(liquidator).liquidate(vaultC, MAX, BigInteger.ONE, liquidator.getAddress(), new byte[0])::send);
        d.setPrice(d.wethMarket(), BigInteger.valueOf(1_000_00000000L));
        send(d.engineAs(liquidator).liquidate(vaultB, MAX, BigInteger.ONE, liquidator.getAddress(), new byte[0])::send);

        d.mintAndApprove(borrower, d.usdc().getContractAddress(), units(1_000, 6));
        approveMax(borrower, d.usdc().getContractAddress());
        send(d.engineAs(borrower).closeVault(vaultA, borrower.getAddress())::send);
        send(d.engineAs(lender).withdraw(d.wethMarket(), units(1_000, 6), lender.getAddress())::send);
        BigInteger shares = d.engine().supplyShares(d.linkMarket(), lender2.getAddress()).send();
        send(d.engineAs(lender2).redeem(d.linkMarket(), shares.divide(BigInteger.TWO), lender2.getAddress())::send);
        d.openVault(borrower, d.linkMarket(), units(1_000, 18), units(1_000, 6));
    }

    /** Lets the engine pull any amount of {@code token} from {@code who}. */
    public void approveMax(Credentials who, String token) throws Exception {
        send(d.tokenAs(token, who).approve(d.engine().getContractAddress(), MAX)::send);
    }

    private static List<BigInteger> bps(int... values) {
        return java.util.Arrays.stream(values).mapToObj(BigInteger::valueOf).toList();
    }

    @FunctionalInterface
    public interface Remote<T> {
        T send() throws Exception;
    }

    public static <T> T send(Remote<T> remote) throws Exception {
        return remote.send();
    }
}
