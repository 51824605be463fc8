package io.isomargin.keeper.book;

/** Called once the book holds the state at the end of a block, on the book's writer thread. */
@FunctionalInterface
public interface BlockObserver {
    /**
     * @param block     the block whose end state the book now holds
     * @param timestamp that block's timestamp, seconds
     */
    void onBlock(long block, long timestamp) throws Exception;
}
