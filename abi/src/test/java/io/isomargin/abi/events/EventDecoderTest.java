package io.isomargin.abi.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MarginGuard;
import io.isomargin.abi.math.FullMath;
import io.isomargin.abi.testing.AnvilChain;
import io.isomargin.abi.testing.AnvilExtension;
import io.isomargin.abi.testing.Deployment;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.BaseEventResponse;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/** Every log the engine and its feeds emit in a full scenario decodes to the right typed event. */
@ExtendWith(AnvilExtension.class)
class EventDecoderTest {
    private final EventDecoder decoder = new EventDecoder();

    @Test
    void everyEngineAndOracleLogOfAScenarioDecodesToItsTypedEvent(AnvilChain chain, Deployment d) throws Exception {
        Credentials lender = chain.credentials(1);
        Credentials owner = chain.credentials(2);
        Credentials liquidator = chain.credentials(3);
        BigInteger market = d.wethMarket();
        IsomarginEngine asOwner = d.engineAs(owner);
        IsomarginEngine admin = d.engine();

        d.fundAndSupply(lender, Deployment.units(1_000_000, 6));
        BigInteger vault = d.openVault(owner, market, Deployment.units(10, 18), Deployment.units(14_000, 6));
        d.mintAndApprove(owner, d.weth().getContractAddress(), Deployment.units(1, 18));
        asOwner.depositCollateral(vault, Deployment.units(1, 18)).send();
        asOwner.withdrawCollateral(vault, Deployment.units(1, 18), owner.getAddress()).send();
        asOwner.setOperator(lender.getAddress(), true).send();
        d.mintAndApprove(owner, d.usdc().getContractAddress(), Deployment.units(1_000, 6));
        asOwner.repay(vault, Deployment.units(1_000, 6)).send();
        admin.setPaused(market, true).send();
        admin.setPaused(market, false).send();
        admin.setCaps(market, Deployment.units(1_000_000_000L, 6), Deployment.units(900_000_000L, 6)).send();
        chain.increaseTime(3_600);
        d.setPrice(market, BigInteger.valueOf(1_400_00000000L));
        d.mintAndApprove(liquidator, d.usdc().getContractAddress(), Deployment.units(100_000, 6));
        d.engineAs(liquidator).liquidate(vault, FullMath.UINT256_MAX, BigInteger.ONE, liquidator.getAddress(),
                new byte[0]).send();
        IsomarginEngine.Vault after = admin.vault(vault).send();
        // the risk timelock: a tightening change proposed and cancelled, proposed again and executed after the delay
        IsomarginEngine.RiskUpdate now = d.riskUpdate(market);
        IsomarginEngine.RiskUpdate tighter = new IsomarginEngine.RiskUpdate(now.maxOracleAge, now.liquidationBonusBps,
                now.protocolFeeBps.add(BigInteger.valueOf(500)), now.closeFactorBps, now.reserveFactorBps, now.minDebt,
                now.rateModel);
        admin.setRiskParams(market, tighter).send();
        admin.cancelRiskParams(market).send();
        d.changeRiskParams(market, tighter);
        assertEquals(tighter.protocolFeeBps, admin.riskParams(market).send().protocolFeeBps);
        IsomarginEngine.MarketState state = admin.marketState(market).send();

        EthLog logs = chain.web3j().ethGetLogs(new EthFilter(DefaultBlockParameterName.EARLIEST,
                DefaultBlockParameterName.LATEST, List.of(d.engine().getContractAddress(),
                        d.wethFeed().getContractAddress()))).send();
        Set<String> names = new TreeSet<>();
        List<IsomarginEngine.LiquidatedEventResponse> liquidations = new ArrayList<>();
        List<IsomarginEngine.MarketStateUpdatedEventResponse> states = new ArrayList<>();
        List<IsomarginEngine.RiskParamsProposedEventResponse> proposals = new ArrayList<>();
        for (EthLog.LogResult<?> r : logs.getLogs()) {
            Log log = (Log) r.get();
            boolean fromEngine = log.getAddress().equalsIgnoreCase(d.engine().getContractAddress());
            BaseEventResponse e = (fromEngine ? decoder.decodeEngine(log) : decoder.decodeOracle(log))
                    .orElseThrow(() -> new AssertionError("undecoded log " + log));
            names.add(e.getClass().getSimpleName().replace("EventResponse", ""));
            if (e instanceof IsomarginEngine.LiquidatedEventResponse l) liquidations.add(l);
            if (e instanceof IsomarginEngine.MarketStateUpdatedEventResponse m && m.marketId.equals(market)) {
                states.add(m);
            }
            if (e instanceof IsomarginEngine.RiskParamsProposedEventResponse p) proposals.add(p);
        }
        assertTrue(names.containsAll(Set.of("MarketCreated", "TierSet", "LiquidationParamsUpdated",
                "InterestParamsUpdated", "CapsUpdated", "MaxOracleAgeUpdated", "GuardianSet", "MarketStateUpdated",
                "RiskParamsProposed", "RiskParamsCancelled", "RiskParamsExecuted", "VaultOpened", "CollateralDeposited", "CollateralWithdrawn", "Borrowed", "Repaid",
                "Liquidated", "Supplied", "PauseSet", "OperatorSet", "AnswerUpdated", "NewRound")), "decoded: " + names);
        assertEquals(1, liquidations.size());
        assertEquals(vault, liquidations.get(0).vaultId);
        assertEquals(after.collateral, liquidations.get(0).collateralAfter);
        assertEquals(after.debtShares, liquidations.get(0).debtSharesAfter);
        // the last MarketStateUpdated is the stored state, its interest remainder included
        IsomarginEngine.MarketStateUpdatedEventResponse last = states.getLast();
        assertEquals(state.totalBorrowAssets, last.totalBorrowAssets);
        assertEquals(state.lastAccrual, last.lastAccrual);
        assertEquals(state.interestRemainder, last.interestRemainder);
        assertTrue(states.stream().anyMatch(m -> m.interestRemainder.signum() > 0), "a remainder was carried");
        // the proposal carries the update and when it becomes executable
        assertEquals(2, proposals.size());
        assertEquals(tighter.protocolFeeBps, proposals.get(1).update.protocolFeeBps);
        assertEquals(tighter.rateModel.kink, proposals.get(1).update.rateModel.kink);
        assertTrue(proposals.get(1).executableAt.signum() > 0);
    }

    @Test
    void everyGuardLogDecodesWithItsPostState(AnvilChain chain, Deployment d) throws Exception {
        Credentials owner = chain.credentials(2);
        Credentials executor = chain.credentials(3);
        d.fundAndSupply(chain.credentials(1), Deployment.units(1_000_000, 6));
        // 10 WETH at $2,000 against 14,000 USDC with a 10% maintenance margin: health 18,000 / 14,000 = 1.2857
        BigInteger vault = d.openVault(owner, d.wethMarket(), Deployment.units(10, 18), Deployment.units(14_000, 6));
        d.mintAndApprove(owner, d.weth().getContractAddress(), Deployment.units(5, 18));
        d.tokenAs(d.weth().getContractAddress(), owner).approve(d.guard().getContractAddress(), FullMath.UINT256_MAX)
                .send();
        BigInteger expiry = BigInteger.valueOf(chain.web3j().ethGetBlockByNumber(DefaultBlockParameterName.LATEST,
                false).send().getBlock().getTimestamp().longValueExact() + 86_400);
        BigInteger trigger = Deployment.units(13, 17);
        BigInteger target = Deployment.units(15, 17);
        d.guardAs(owner).setPolicy(vault, new MarginGuard.GuardPolicy(trigger, target, BigInteger.ZERO,
                BigInteger.valueOf(50), expiry, Deployment.units(5, 18), Deployment.units(5, 18))).send();
        d.guardAs(executor).topUp(vault).send();
        d.guardAs(owner).revokePolicy(vault).send();

        EthLog logs = chain.web3j().ethGetLogs(new EthFilter(DefaultBlockParameterName.EARLIEST,
                DefaultBlockParameterName.LATEST, d.guard().getContractAddress())).send();
        List<BaseEventResponse> events = new ArrayList<>();
        for (EthLog.LogResult<?> r : logs.getLogs()) {
            Log log = (Log) r.get();
            events.add(decoder.decodeGuard(log).orElseThrow(() -> new AssertionError("undecoded log " + log)));
            assertTrue(decoder.decodeEngine(log).isEmpty(), "a guard log is not an engine event");
        }
        assertEquals(3, events.size());
        MarginGuard.PolicySetEventResponse set = (MarginGuard.PolicySetEventResponse) events.get(0);
        assertEquals(vault, set.vaultId);
        assertEquals(owner.getAddress(), set.owner);
        assertEquals(trigger, set.triggerHealth);
        assertEquals(expiry, set.expiry);
        assertEquals(Deployment.units(10, 18), set.armedCollateral, "the policy arms the vault as it stood");
        assertTrue(set.armedDebtShares.signum() > 0);
        MarginGuard.ToppedUpEventResponse top = (MarginGuard.ToppedUpEventResponse) events.get(1);
        assertEquals(executor.getAddress(), top.executor);
        IsomarginEngine.Vault after = d.engine().vault(vault).send();
        assertEquals(Deployment.units(10, 18).add(top.amount), after.collateral, "the amount went into the vault");
        assertEquals(top.amount.multiply(BigInteger.valueOf(50)).divide(BigInteger.valueOf(10_000)), top.fee);
        assertEquals(top.amount.add(top.fee), top.usedLast24h);
        assertTrue(top.healthBefore.compareTo(trigger) < 0 && top.healthAfter.compareTo(target) >= 0,
                top.healthBefore + " -> " + top.healthAfter);
        assertEquals(top.healthAfter, d.lens().health(vault).send());
        assertEquals(after.collateral, top.armedCollateral, "the top-up re-arms the vault where it left it");
        assertEquals(after.debtShares, top.armedDebtShares);
        assertEquals(set.armedDebtShares, top.armedDebtShares);
        assertEquals(vault, ((MarginGuard.PolicyRevokedEventResponse) events.get(2)).vaultId);
        assertEquals(3, decoder.guardTopics().size());
    }

    @Test
    void logsOfOtherContractsAreNotEngineEvents(AnvilChain chain, Deployment d) throws Exception {
        var receipt = d.usdc().mint(chain.credentials(4).getAddress(), BigInteger.ONE).send();
        for (Log log : receipt.getLogs()) {
            assertTrue(decoder.decodeEngine(log).isEmpty());
            assertTrue(decoder.decodeOracle(log).isEmpty());
            assertTrue(decoder.decodeGuard(log).isEmpty());
        }
        assertEquals(26, decoder.engineTopics().size());
        assertEquals(3, decoder.oracleTopics().size());
    }
}
