package io.isomargin.keeper.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.math.BigInteger;

/**
 * The JSON form of {@link KeeperStatus} ({@code /status}): field names as in the records, amounts (health, debt,
 * prices, fees) as decimal strings so any uint256 stays exact, ids and blocks as numbers.
 */
public final class StatusJson {
    private final ObjectMapper mapper = new ObjectMapper()
            .registerModule(new SimpleModule().addSerializer(BigInteger.class, ToStringSerializer.instance))
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public String write(KeeperStatus status) {
        try {
            return mapper.writeValueAsString(status);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the status as JSON", e);
        }
    }

    /** @throws IllegalArgumentException when {@code json} is not a keeper status */
    public KeeperStatus read(String json) {
        try {
            return mapper.readValue(json, KeeperStatus.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a keeper status: " + e.getOriginalMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a keeper status: " + e.getMessage(), e);
        }
    }
}
