package io.isomargin.demo;

import org.web3j.crypto.Bip32ECKeyPair;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.MnemonicUtils;

/**
 * The well-known development accounts that Anvil and Hardhat both fund at start (the public "test test ... junk"
 * mnemonic, path m/44'/60'/0'/0/i). Local chains only: these keys are public.
 */
final class DevAccounts {
    static final String MNEMONIC = "test test test test test test test test test test test junk";
    private static final int HARDENED = 0x80000000;

    private DevAccounts() {}

    static Credentials get(int index) {
        Bip32ECKeyPair master = Bip32ECKeyPair.generateKeyPair(MnemonicUtils.generateSeed(MNEMONIC, ""));
        int[] path = {44 | HARDENED, 60 | HARDENED, HARDENED, 0, index};
        return Credentials.create(Bip32ECKeyPair.deriveKeyPair(master, path));
    }
}
