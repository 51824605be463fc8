package io.isomargin.keeper.risk;

/** Receives each market's {@link LiquidationCandidates} at each block, on the book's writer thread: keep it short
 * (hand the work to another thread). */
@FunctionalInterface
public interface CandidateSink {
    void accept(LiquidationCandidates candidates) throws Exception;
}
