package io.isomargin.abi.testing;

import static io.isomargin.abi.testing.Deployment.units;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine.MarketConfig;
import io.isomargin.abi.contracts.IsomarginEngine.Vault;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/** Proves the harness: a chain per class, the local deployment, helpers, cheats and a clean shutdown. */
@ExtendWith(AnvilExtension.class)
class AnvilHarnessTest {

    @Test
    void deploysTwoMarketsWithFeedsAndTiers(AnvilChain chain, Deployment d) throws Exception {
        assertEquals(31337, chain.chainId());
        assertEquals(BigInteger.TWO, d.engine().marketCount().send());
        assertEquals(BigInteger.valueOf(6), d.usdc().decimals().send());
        assertEquals(BigInteger.valueOf(18), d.link().decimals().send());
        MarketConfig weth = d.engine().marketConfig(d.wethMarket()).send();
        assertEquals(d.weth().getContractAddress(), weth.collateralToken);
        assertEquals(d.usdc().getContractAddress(), weth.loanToken);
        assertEquals(BigInteger.valueOf(3), weth.tierCount);
        assertEquals(BigInteger.valueOf(1_500), d.engine().tier(d.linkMarket(), BigInteger.ZERO).send().mmToBps);
        assertEquals(d.deployer().getAddress(), d.engine().owner().send());
    }

    @Test
    void suppliesOpensAVaultAndReadsItBack(AnvilChain chain, Deployment d) throws Exception {
        Credentials lender = chain.credentials(1);
        Credentials borrower = chain.credentials(2);
        d.fundAndSupply(lender, units(1_000_000, 6));
        assertTrue(d.engine().supplyShares(d.wethMarket(), lender.getAddress()).send().signum() > 0);

        BigInteger id = d.openVault(borrower, d.wethMarket(), units(10, 18), units(5_000, 6));
        Vault v = d.engine().vault(id).send();
        assertEquals(borrower.getAddress(), v.owner);
        assertEquals(d.wethMarket(), v.marketId);
        assertFalse(v.closed);
        assertEquals(units(10, 18), v.collateral);
        assertTrue(v.debtShares.signum() > 0);
        assertEquals(units(5_000, 6), d.usdc().balanceOf(borrower.getAddress()).send());
        // the lens reads the engine: $20,000 of collateral, $5,000 of debt, healthy
        assertEquals(d.engine().getContractAddress().toLowerCase(), d.lens().engine().send().toLowerCase());
        BigInteger debt = d.lens().debtOf(id).send(); // rounded up: at most one unit above what was borrowed
        assertTrue(debt.subtract(units(5_000, 6)).signum() >= 0 && debt.subtract(units(5_000, 6)).intValue() <= 1,
                "debt " + debt);
        assertFalse(d.lens().isLiquidatable(id).send());
        assertTrue(d.lensAs(lender).health(id).send().compareTo(BigInteger.TEN.pow(18)) > 0);

        d.setPrice(d.wethMarket(), BigInteger.valueOf(1_800_00000000L));
        assertEquals(BigInteger.valueOf(1_800_00000000L), d.wethFeed().latestRoundData().send().component2());
    }

    /**
     * The capital-free periphery: pools at the oracle price, the deployment file lists it, and an operator holding no
     * USDC liquidates through the SwapLiquidator (the sale pays the engine); prints the gas of that liquidation and of
     * the same liquidation paid from a funded liquidator's balance.
     */
    @Test
    void capitalFreePeripheryLiquidatesWithoutCapital(AnvilChain chain, Deployment plain, @org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String snapshot = chain.snapshot();
        try {
            Credentials keeper = chain.credentials(5);
            plain.setPrice(plain.wethMarket(), Deployment.WETH_PRICE);
            Deployment d = plain.withCapitalFree(50_000_000, keeper.getAddress());
            Deployment.Reserves r = d.reserves(d.wethMarket());
            assertEquals(units(50_000_000, 6), r.loan());
            assertEquals(units(25_000, 18), r.collateral()); // $50M of WETH at $2,000
            assertEquals(units(50_000_000, 18).divide(BigInteger.valueOf(15)), d.reserves(d.linkMarket()).collateral());

            var file = io.isomargin.abi.config.DeploymentFile.read(d.writeDeploymentFile(dir.resolve("d.json")));
            assertTrue(file.hasCapitalFree());
            assertEquals(d.capitalFree().liquidator().getContractAddress(), file.liquidator());
            assertEquals(d.capitalFree().pair(d.linkMarket()).getContractAddress(), file.markets().get(1).pair());
            assertFalse(io.isomargin.abi.config.DeploymentFile.read(plain.writeDeploymentFile(dir.resolve("p.json")))
                    .hasCapitalFree());

            d.fundAndSupply(chain.credentials(1), units(1_000_000, 6));
            BigInteger free = d.openVault(chain.credentials(2), d.wethMarket(), units(100, 18), units(150_000, 6));
            BigInteger funded = d.openVault(chain.credentials(2), d.wethMarket(), units(100, 18), units(150_000, 6));
            d.setPrice(d.wethMarket(), BigInteger.valueOf(1_600_00000000L));
            d.pegPool(d.wethMarket());
            Deployment.Reserves pegged = d.reserves(d.wethMarket());
            assertEquals(units(1_600, 6), pegged.loan().multiply(BigInteger.TEN.pow(18)).divide(pegged.collateral()));

            String liq = d.capitalFree().liquidator().getContractAddress();
            assertEquals(BigInteger.ZERO, d.usdc().balanceOf(keeper.getAddress()).send());
            var receipt = d.liquidatorAs(keeper).liquidate(free, Deployment.units(1, 30), BigInteger.ZERO,
                    BigInteger.valueOf(100), BigInteger.ZERO).send();
            assertTrue(receipt.isStatusOK());
            BigInteger profit = d.usdc().balanceOf(liq).send();
            assertTrue(profit.compareTo(units(2_000, 6)) > 0, "profit " + profit);
            assertEquals(BigInteger.ZERO, d.usdc().balanceOf(keeper.getAddress()).send());
            var sold = io.isomargin.abi.contracts.SwapLiquidator.getCollateralSoldEvents(receipt);
            assertEquals(1, sold.size());
            assertEquals(profit, sold.get(0).proceeds.subtract(sold.get(0).owed));

            Credentials rich = chain.credentials(6);
            d.mintAndApprove(rich, d.usdc().getContractAddress(), units(100_000, 6));
            var paid = d.engineAs(rich).liquidate(funded, Deployment.units(1, 30), BigInteger.ZERO, rich.getAddress(),
                    new byte[0]).send();
            assertTrue(paid.isStatusOK());
            System.out.printf("liquidation gas on Anvil: capital-free %s (engine call, callback, Uniswap V2 sale), "
                    + "funded %s%n", receipt.getGasUsed(), paid.getGasUsed());
        } finally {
            chain.revert(snapshot);
        }
    }

    @Test
    void createsMarketsWithAnyDecimals(AnvilChain chain, Deployment d) throws Exception {
        // 18-decimal loan token against a 6-decimal collateral, priced by an 18-decimal feed at 3 loan per collateral
        Deployment.Market m = d.createMarket(18, 6, 18, units(3, 18));
        MarketConfig c = d.engine().marketConfig(m.id()).send();
        assertEquals(List.of(BigInteger.valueOf(18), BigInteger.valueOf(6), BigInteger.valueOf(18)),
                List.of(c.loanDecimals, c.collateralDecimals, c.oracleDecimals));
        d.fundAndSupply(chain.credentials(3), m.id(), units(1_000, 18));
        BigInteger id = d.openVault(chain.credentials(4), m.id(), units(100, 6), units(50, 18));
        assertEquals(units(100, 6), d.engine().vault(id).send().collateral);
    }

    @Test
    void revertRestoresTheSnapshot(AnvilChain chain, Deployment d) throws Exception {
        d.fundAndSupply(chain.credentials(5), units(100_000, 6));
        BigInteger before = d.engine().vaultCount().send();
        long block = chain.blockNumber();
        String snap = chain.snapshot();
        d.openVault(chain.credentials(6), d.wethMarket(), units(1, 18), units(100, 6));
        assertEquals(before.add(BigInteger.ONE), d.engine().vaultCount().send());
        chain.revert(snap);
        assertEquals(before, d.engine().vaultCount().send());
        assertEquals(block, chain.blockNumber());
        // nonces are re-read from the chain, so sending again after a revert works
        d.openVault(chain.credentials(6), d.wethMarket(), units(1, 18), units(100, 6));
    }

    @Test
    void timeCheatsMoveTheLatestTimestamp(AnvilChain chain) {
        long t0 = chain.latestTimestamp();
        chain.increaseTime(3_600);
        long t1 = chain.latestTimestamp();
        assertTrue(t1 >= t0 + 3_600, t0 + " -> " + t1);
        chain.setNextBlockTimestamp(t1 + 1_000);
        chain.mine();
        assertEquals(t1 + 1_000, chain.latestTimestamp());
    }

    @Test
    void closeKillsAnvilAndItsChildren() throws Exception {
        AnvilChain chain = AnvilChain.start();
        String url = chain.rpcUrl();
        List<ProcessHandle> tree = ProcessHandle.of(chain.pid()).orElseThrow().descendants().toList();
        if (isScript(AnvilChain.anvilBinary())) {
            assertFalse(tree.isEmpty(), "the npm launcher should have spawned the native anvil");
        }
        assertEquals(0, chain.blockNumber());
        chain.close();
        assertFalse(chain.isAlive());
        tree.forEach(p -> assertFalse(p.isAlive(), "child " + p.pid() + " still alive"));
        Web3j probe = Web3j.build(new HttpService(url));
        try {
            assertThrows(IOException.class, () -> probe.ethChainId().send());
        } finally {
            probe.shutdown();
        }
        chain.close(); // idempotent
    }

    @Test
    void startupFailureReportsAnvilsStderr() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> AnvilChain.start("--no-such-flag"));
        assertTrue(e.getMessage().contains("--no-such-flag"), e.getMessage());
    }

    private static boolean isScript(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(2);
            return head.length == 2 && head[0] == '#' && head[1] == '!';
        }
    }

    @Test
    void missingBinaryFailsWithAHint() throws Exception {
        String saved = System.getProperty("isomargin.root");
        Path empty = Files.createTempDirectory("no-anvil");
        System.setProperty("isomargin.root", empty.toString());
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, AnvilChain::start);
            assertTrue(e.getMessage().startsWith("anvil not found at " + empty.resolve("node_modules/.bin/anvil")),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith("run `make tools`"), e.getMessage());
        } finally {
            if (saved == null) {
                System.clearProperty("isomargin.root");
            } else {
                System.setProperty("isomargin.root", saved);
            }
            Files.delete(empty);
        }
    }
}
