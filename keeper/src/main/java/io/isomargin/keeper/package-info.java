/**
 * The keeper: keeps every open vault in memory, re-evaluates health with the exact margin math
 * ({@code io.isomargin.abi.math}) on each block and price, and sends liquidations. Built by the keeper issue; this
 * module so far only wires the build and the shared test harness.
 */
package io.isomargin.keeper;
