package io.isomargin.indexer.testing;

import static io.isomargin.abi.testing.Deployment.units;

import io.isomargin.abi.testing.Deployment;
import java.math.BigInteger;
import java.util.Random;
import org.web3j.crypto.Credentials;

/**
 * Many small event-bearing blocks for the robustness tests: with automining every call below is one transaction and one
 * block, and each emits engine or oracle events of a different kind (price updates, supplies, withdrawals, borrows,
 * repayments, collateral deposits and withdrawals, new vaults). Amounts stay far from every limit, so no transaction
 * reverts whatever the random sequence.
 */
public final class EventLoad {
    private static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    private final Deployment d;
    private final Random random;
    private final Credentials lender;
    private final Credentials borrower;
    private final BigInteger vault;

    /** Funds a lender and a borrower's vault in the WETH market (a few blocks). */
    public EventLoad(Deployment d, Random random) throws Exception {
        this.d = d;
        this.random = random;
        this.lender = d.chain().credentials(8);
        this.borrower = d.chain().credentials(9);
        d.fundAndSupply(lender, d.wethMarket(), units(1_000_000, 6));
        vault = d.openVault(borrower, d.wethMarket(), units(100, 18), units(10_000, 6));
        d.mintAndApprove(lender, d.usdc().getContractAddress(), units(10_000_000, 6));
        d.mintAndApprove(borrower, d.weth().getContractAddress(), units(10_000, 18));
        Scenario.send(d.tokenAs(d.usdc().getContractAddress(), borrower)
                .approve(d.engine().getContractAddress(), MAX)::send);
    }

    /** {@code blocks} blocks, each with one randomly chosen action. */
    public void blocks(int blocks) throws Exception {
        for (int i = 0; i < blocks; i++) {
            switch (random.nextInt(7)) {
                case 0 -> d.setPrice(d.wethMarket(), BigInteger.valueOf(1_950_00000000L + random.nextInt(10_000_000_00)));
                case 1 -> Scenario.send(d.engineAs(lender).supply(d.wethMarket(), units(1 + random.nextInt(500), 6),
                        lender.getAddress())::send);
                case 2 -> Scenario.send(d.engineAs(lender).withdraw(d.wethMarket(), units(1 + random.nextInt(50), 6),
                        lender.getAddress())::send);
                case 3 -> Scenario.send(d.engineAs(borrower).borrow(vault, units(1 + random.nextInt(100), 6),
                        borrower.getAddress())::send);
                case 4 -> Scenario.send(d.engineAs(borrower).repay(vault, units(1 + random.nextInt(20), 6))::send);
                case 5 -> Scenario.send(d.engineAs(borrower).depositCollateral(vault,
                        units(1 + random.nextInt(5), 17))::send);
                default -> d.setPrice(d.linkMarket(), BigInteger.valueOf(14_00000000L + random.nextInt(2_00000000)));
            }
        }
    }
}
