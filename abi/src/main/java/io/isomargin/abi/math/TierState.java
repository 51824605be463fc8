package io.isomargin.abi.math;

import java.math.BigInteger;

/**
 * One margin tier as stored (the engine's {@code TierState}): applies to collateral value from {@code minValue}; the
 * maintenance margin ramps linearly from {@code mmFromBps} at {@code rampStart} to {@code mmToBps} at {@code rampEnd}
 * (seconds). Every tier of a market carries the same ramp (the engine's {@code setMarginTiers} sets them together).
 */
public record TierState(BigInteger minValue, int imBps, int mmFromBps, int mmToBps, long rampStart, long rampEnd) {
    /** A tier without a ramp window (as created: {@code rampStart = rampEnd = 0}). */
    public TierState(BigInteger minValue, int imBps, int mmFromBps, int mmToBps) {
        this(minValue, imBps, mmFromBps, mmToBps, 0, 0);
    }

    /** The same tier with ramp window {@code [start, end]}. */
    public TierState withRamp(long start, long end) {
        return new TierState(minValue, imBps, mmFromBps, mmToBps, start, end);
    }
}
