package io.isomargin.abi.math;

import java.math.BigInteger;

/**
 * One margin tier as stored: applies to collateral value from {@code minValue}; the maintenance margin ramps from
 * {@code mmFromBps} to {@code mmToBps} over the market's ramp window.
 */
public record TierState(BigInteger minValue, int imBps, int mmFromBps, int mmToBps) {}
