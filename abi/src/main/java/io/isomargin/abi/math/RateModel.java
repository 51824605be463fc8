package io.isomargin.abi.math;

import java.math.BigInteger;

/** Kinked borrow-rate model: per-second rates and the kink utilization, all WAD. */
public record RateModel(BigInteger baseRatePerSecond, BigInteger slope1PerSecond, BigInteger slope2PerSecond,
        BigInteger kink) {}
