package com.starrocks.connector.kafka.internal;

import org.junit.jupiter.api.Test;

import java.util.HashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SessionIdsTest {
    @Test
    void equalKeysShareAnIdWhateverInstanceAsksAndRollbackForgetsTheLastLookup() {
        SessionIds<String> ids = new SessionIds<>(new HashMap<String, Integer>());
        assertEquals(0, ids.idOf("a"));
        assertEquals(0, ids.idOf(new String("a")));
        assertEquals(1, ids.idOf("b"));
        assertEquals(1, ids.idOf("b"));
        // "b" was the last lookup; rolled back, it is defined again under the next free id.
        ids.rollback(1);
        assertEquals(-1, ids.find("b"));
        assertEquals(1, ids.idOf("c"));
        assertEquals(2, ids.idOf("b"));
        assertEquals(0, ids.idOf("a"));
        ids.clear();
        assertEquals(0, ids.idOf("b"));
        assertEquals(1, ids.size());
    }
}
