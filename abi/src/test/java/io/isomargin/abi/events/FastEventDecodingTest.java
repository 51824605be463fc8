package io.isomargin.abi.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.isomargin.abi.contracts.IsomarginEngine;
import io.isomargin.abi.contracts.MockAggregator;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Int;
import org.web3j.abi.datatypes.Type;
import org.web3j.protocol.core.methods.response.BaseEventResponse;
import org.web3j.protocol.core.methods.response.Log;

/** The fast path against web3j's decoder, field by field, on random logs of every event of the engine and the feed. */
class FastEventDecodingTest {
    private final Random random = new Random(42);

    private record Case(Event event, Function<Log, BaseEventResponse> slow) {}

    private static final List<Case> CASES = List.of(
            new Case(IsomarginEngine.MARKETCREATED_EVENT, IsomarginEngine::getMarketCreatedEventFromLog),
            new Case(IsomarginEngine.TIERSET_EVENT, IsomarginEngine::getTierSetEventFromLog),
            new Case(IsomarginEngine.LIQUIDATIONPARAMSUPDATED_EVENT,
                    IsomarginEngine::getLiquidationParamsUpdatedEventFromLog),
            new Case(IsomarginEngine.CAPSUPDATED_EVENT, IsomarginEngine::getCapsUpdatedEventFromLog),
            new Case(IsomarginEngine.PAUSESET_EVENT, IsomarginEngine::getPauseSetEventFromLog),
            new Case(IsomarginEngine.OPERATORSET_EVENT, IsomarginEngine::getOperatorSetEventFromLog),
            new Case(IsomarginEngine.MARKETSTATEUPDATED_EVENT, IsomarginEngine::getMarketStateUpdatedEventFromLog),
            new Case(IsomarginEngine.VAULTOPENED_EVENT, IsomarginEngine::getVaultOpenedEventFromLog),
            new Case(IsomarginEngine.BORROWED_EVENT, IsomarginEngine::getBorrowedEventFromLog),
            new Case(IsomarginEngine.REPAID_EVENT, IsomarginEngine::getRepaidEventFromLog),
            new Case(IsomarginEngine.LIQUIDATED_EVENT, IsomarginEngine::getLiquidatedEventFromLog),
            new Case(IsomarginEngine.BADDEBTREALIZED_EVENT, IsomarginEngine::getBadDebtRealizedEventFromLog),
            new Case(IsomarginEngine.SUPPLIED_EVENT, IsomarginEngine::getSuppliedEventFromLog),
            new Case(IsomarginEngine.WITHDRAWN_EVENT, IsomarginEngine::getWithdrawnEventFromLog),
            new Case(MockAggregator.ANSWERUPDATED_EVENT, MockAggregator::getAnswerUpdatedEventFromLog));

    @Test
    void everyEventDecodesToTheSameFieldsAsWeb3jOnRandomWords() throws Exception {
        for (Case c : CASES) {
            Function<Log, BaseEventResponse> fast = FastEventDecoding.compile(c.event(), c.slow());
            assertNotSame(c.slow(), fast, c.event().getName() + " should have a fast path");
            for (int n = 0; n < 300; n++) {
                Log log = randomLog(c.event());
                assertSameFields(c.slow().apply(log), fast.apply(log), c.event().getName());
            }
        }
    }

    @Test
    void wordsAreReadAsUnsignedNumbersAtEveryLengthAroundTheLongFastPath() {
        for (BigInteger v : List.of(BigInteger.ZERO, BigInteger.ONE, BigInteger.ONE.shiftLeft(59).subtract(BigInteger.ONE),
                BigInteger.ONE.shiftLeft(60).subtract(BigInteger.ONE), BigInteger.ONE.shiftLeft(60),
                BigInteger.ONE.shiftLeft(63), BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE),
                BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE))) {
            String hex = v.toString(16);
            String word = "0".repeat(64 - hex.length()) + hex;
            assertEquals(v, FastEventDecoding.unsigned(word), word);
            assertEquals(v, FastEventDecoding.unsigned(word.toUpperCase(java.util.Locale.ROOT)), word);
        }
        org.junit.jupiter.api.Assertions.assertThrows(NumberFormatException.class,
                () -> FastEventDecoding.unsigned("0".repeat(62) + "zz"));
        org.junit.jupiter.api.Assertions.assertThrows(NumberFormatException.class,
                () -> FastEventDecoding.unsigned("")); // a truncated topic goes to web3j's decoder, never reads as 0
    }

    @Test
    void anEventWithAStructKeepsWeb3jsDecoder() {
        Function<Log, BaseEventResponse> slow = IsomarginEngine::getInterestParamsUpdatedEventFromLog;
        assertSame(slow, FastEventDecoding.compile(IsomarginEngine.INTERESTPARAMSUPDATED_EVENT, slow));
    }

    @Test
    void aLogOfTheWrongShapeGoesToWeb3jsDecoderAndFailsThere() {
        Function<Log, BaseEventResponse> fast = FastEventDecoding.compile(IsomarginEngine.VAULTOPENED_EVENT,
                IsomarginEngine::getVaultOpenedEventFromLog);
        Log truncated = randomLog(IsomarginEngine.VAULTOPENED_EVENT);
        truncated.setTopics(truncated.getTopics().subList(0, 2));
        Class<? extends Throwable> slowFailure = failure(() -> IsomarginEngine.getVaultOpenedEventFromLog(truncated));
        assertEquals(slowFailure, failure(() -> fast.apply(truncated)));
    }

    private static Class<? extends Throwable> failure(Runnable r) {
        try {
            r.run();
            return null;
        } catch (RuntimeException e) {
            return e.getClass();
        }
    }

    private Log randomLog(Event event) {
        List<String> topics = new ArrayList<>();
        topics.add(EventEncoder.encode(event));
        StringBuilder data = new StringBuilder("0x");
        for (TypeReference<Type> p : event.getParameters()) {
            String w = randomWord(p);
            if (p.isIndexed()) topics.add("0x" + w); else data.append(w);
        }
        Log l = new Log();
        l.setTopics(topics);
        l.setData(data.toString());
        l.setBlockNumber("0x10");
        l.setLogIndex("0x2");
        return l;
    }

    private String randomWord(TypeReference<Type> p) {
        Class<?> c;
        try {
            c = p.getClassType();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        BigInteger v;
        if (Bool.class.isAssignableFrom(c)) {
            v = BigInteger.valueOf(random.nextInt(2));
        } else if (Address.class.isAssignableFrom(c)) {
            v = new BigInteger(160, random);
        } else {
            int bits = bits(c.getSimpleName());
            v = new BigInteger(random.nextInt(bits) + 1, random);
            if (Int.class.isAssignableFrom(c) && random.nextBoolean()) {
                v = BigInteger.ONE.shiftLeft(256).subtract(v.max(BigInteger.ONE)); // negative, two's complement
            }
        }
        String hex = v.toString(16);
        return "0".repeat(64 - hex.length()) + hex;
    }

    private static int bits(String simpleName) { // Uint128 -> 128; Int256 -> 255 (sign kept for the negative case)
        int n = Integer.parseInt(simpleName.replaceAll("\\D", ""));
        return simpleName.startsWith("Int") ? n - 1 : n;
    }

    private static void assertSameFields(BaseEventResponse expected, BaseEventResponse actual, String event)
            throws IllegalAccessException {
        assertEquals(expected.getClass(), actual.getClass(), event);
        for (Field f : expected.getClass().getFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            assertEquals(f.get(expected), f.get(actual), event + "." + f.getName());
        }
    }
}
