package io.isomargin.keeper.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;

/** How a refused top-up's reason is read from the node's error answer, whatever the node. */
class GuardCallsTest {
    private static final String CAP = Hash.sha3String("CapReached(uint256,uint256,uint256)").substring(0, 10);
    private static final String ARGS = "0".repeat(63) + "7" + "0".repeat(64) + "0".repeat(63) + "1";

    @Test
    void theRevertDataIsFoundInAnvilsHardhatsAndGethsAnswers() {
        String data = CAP + ARGS;
        assertEquals(data, GuardCalls.revertData("\"" + data + "\"", "execution reverted"), "Anvil, geth: a string");
        assertEquals(data, GuardCalls.revertData(data, null), "unquoted");
        String vmException = "Error: VM Exception while processing transaction: reverted with an unrecognized custom "
                + "error (return data: " + data + ")";
        assertEquals(data, GuardCalls.revertData("{\"message\":\"" + vmException + "\",\"data\":\"" + data + "\"}",
                vmException), "Hardhat: an object");
        assertEquals(data, GuardCalls.revertData(null, "execution reverted: custom error " + data), "only a message");
        assertNull(GuardCalls.revertData(null, "execution reverted"));
    }

    @Test
    void theGuardsErrorsNameTheirReason() {
        assertEquals("CapReached", GuardCalls.errorName(CAP + ARGS));
        assertEquals(TopUpFailure.CAP, GuardCalls.failureOf("CapReached"));
        assertEquals(TopUpFailure.CAP, GuardCalls.failureOf(GuardCalls.errorName(selector("TooManyTopUps(uint256)"))));
        assertEquals(TopUpFailure.ALLOWANCE,
                GuardCalls.failureOf(GuardCalls.errorName(selector("AllowanceTooLow(uint256,uint256)"))));
        assertEquals(TopUpFailure.BALANCE,
                GuardCalls.failureOf(GuardCalls.errorName(selector("BalanceTooLow(uint256,uint256)"))));
        assertEquals(TopUpFailure.EXPIRED,
                GuardCalls.failureOf(GuardCalls.errorName(selector("PolicyExpired(uint256,uint256)"))));
        assertEquals(TopUpFailure.OTHER, GuardCalls.failureOf(GuardCalls.errorName(selector("OwnerChanged(uint256)"))));
        // named, so the executor can count it for the limit that binds (KeeperTopUpTest)
        assertEquals("StillLiquidatable", GuardCalls.errorName(selector("StillLiquidatable(uint256,uint256)")));
        assertEquals("RiskRaisedSinceArmed", GuardCalls.errorName(selector("RiskRaisedSinceArmed(uint256,uint128,uint128)")));
        assertEquals(TopUpFailure.DISARMED, GuardCalls.failureOf("RiskRaisedSinceArmed"));
        assertEquals(TopUpFailure.OTHER, GuardCalls.failureOf(GuardCalls.errorName(selector("OracleStale(uint256)"))),
                "not one of the guard's: another contract's error");
        // no failure of the guard: the vault is above its trigger again, the policy is gone
        assertNull(GuardCalls.failureOf(GuardCalls.errorName(selector("AboveTrigger(uint256,uint256,uint256)"))));
        assertNull(GuardCalls.failureOf(GuardCalls.errorName(selector("NoPolicy(uint256)"))));
    }

    private static String selector(String signature) {
        return Hash.sha3String(signature).substring(0, 10) + "0".repeat(64);
    }
}
