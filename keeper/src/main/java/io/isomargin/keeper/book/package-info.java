/**
 * The keeper's position book: every open vault of the followed markets and the market and oracle state exact health
 * needs, in memory ({@link io.isomargin.keeper.book.PositionBook}), filled from chain events or from the indexer's
 * mirror and kept at the head by the shared chain follower ({@link io.isomargin.keeper.book.BookFollower}), with a
 * per-block undo journal for reorgs.
 */
package io.isomargin.keeper.book;
