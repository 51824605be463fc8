/**
 * What a person needs to read token amounts: each token's symbol and decimals read from the chain once
 * ({@link io.isomargin.abi.tokens.TokenReader}, robust to tokens whose {@code symbol()} reverts or returns
 * {@code bytes32}), and exact decimal formatting of base units and oracle answers
 * ({@link io.isomargin.abi.tokens.Amounts}). Shared by the indexer's API and the keeper's status.
 */
package io.isomargin.abi.tokens;
