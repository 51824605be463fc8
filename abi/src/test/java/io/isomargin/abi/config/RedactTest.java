package io.isomargin.abi.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedactTest {
    @Test
    void userInfoIsMasked() {
        assertEquals("https://***@rpc.example:8545/", Redact.url("https://user:pass@rpc.example:8545/"));
        assertEquals("wss://***@rpc.example", Redact.url("wss://apikey@rpc.example"));
        assertEquals("http://***@127.0.0.1:1", Redact.url("http://u:p@ss@127.0.0.1:1"), "the last @ ends it");
    }

    @Test
    void apiKeyPathSegmentsAreMasked() {
        assertEquals("https://mainnet.infura.io/v3/***",
                Redact.url("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"));
        assertEquals("wss://mainnet.infura.io/ws/v3/***",
                Redact.url("wss://mainnet.infura.io/ws/v3/0123456789abcdef0123456789abcdef"));
        assertEquals("https://eth-mainnet.g.alchemy.com/v2/***",
                Redact.url("https://eth-mainnet.g.alchemy.com/v2/Xy_9-AbCdEfGhIjKlMnOpQrStUv"));
        assertEquals("https://name.quiknode.pro/***/", Redact.url("https://name.quiknode.pro/a1b2c3d4e5f6a7b8c9d0/"));
    }

    @Test
    void plainPathSegmentsStay() {
        for (String url : List.of("http://127.0.0.1:8545", "https://backup.example/rpc", "https://host/v3/",
                "https://host/mainnet-archive-node", "https://host/abc123", "http://host/a//b")) {
            assertEquals(url, Redact.url(url));
        }
        assertEquals("https://host/abcdefghijklmnop.with7/x", Redact.url("https://host/abcdefghijklmnop.with7/x"),
                "a segment with a character outside [A-Za-z0-9_-] is not key-shaped");
        assertEquals("https://host/***", Redact.url("https://host/abcdefghijklmno7"), "16 characters with a digit");
    }

    @Test
    void queryAndFragmentAreMasked() {
        assertEquals("https://api.example/rpc?***", Redact.url("https://api.example/rpc?apikey=topsecret"));
        assertEquals("https://api.example?***#***", Redact.url("https://api.example?apikey=topsecret#frag"));
        assertEquals("https://api.example/#***", Redact.url("https://api.example/#k=v?x"));
    }

    @Test
    void everythingAtOnceAndMalformedUrlsToo() {
        assertEquals("http://***@127.0.0.1:1/v3/***?***",
                Redact.url("http://user:secret@127.0.0.1:1/v3/0123456789abcdef0123456789abcdef?key=topsecret"));
        assertEquals("***@x", Redact.url("ftp:/user:pw@x"), "no '://': everything before the '@' is masked");
        assertEquals("http://***@h/p", Redact.url("http://user/pw@h/p"), "user info with a '/' in it");
        assertEquals("not a url", Redact.url("not a url"));
        assertEquals("", Redact.url(""));
        assertNull(Redact.url(null));
        assertEquals(List.of("http://a", "http://***@b"), Redact.urls(List.of("http://a", "http://x:y@b")));
    }

    @Test
    void scrubMasksAUrlsSecretsInsideOtherText() {
        String url = "http://user:secret@127.0.0.1:1/v3/0123456789abcdef0123456789abcdef?key=topsecret";
        assertEquals("failed on http://***@127.0.0.1:1/v3/***?***: refused",
                Redact.scrub("failed on " + url + ": refused", List.of(url)));
        assertEquals("GET /v3/*** as *** (***)", Redact.scrub(
                "GET /v3/0123456789abcdef0123456789abcdef as user:secret (key=topsecret)", List.of(url)));
        assertEquals("a b c", Redact.scrub("a b c", List.of("http://a@b/c?d")), "secrets under 4 characters stay");
    }
}
