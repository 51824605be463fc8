package io.isomargin.keeper.risk;

import java.math.BigInteger;

/**
 * A vault's health at one block, exactly as the lens's views (IsomarginLens) compute it.
 *
 * @param vaultId          the vault
 * @param debt             debt with interest to the block's timestamp, loan units, rounded up ({@code debtOf})
 * @param maxDebt          the most debt its collateral may carry under maintenance margins at the oracle price
 * @param health           {@code maxDebt / debt} in WAD, rounded down; {@code 2^256 - 1} without debt ({@code health})
 * @param liquidatable     {@code debt > 0 && debt > maxDebt} ({@code isLiquidatable})
 * @param liquidationPrice the lowest oracle answer at which the vault is healthy at this block's timestamp
 *                         ({@code liquidationPrice}): liquidatable iff the answer is below it
 */
public record VaultHealth(long vaultId, BigInteger debt, BigInteger maxDebt, BigInteger health, boolean liquidatable,
        BigInteger liquidationPrice) {}
