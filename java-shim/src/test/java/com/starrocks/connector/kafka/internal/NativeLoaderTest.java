package com.starrocks.connector.kafka.internal;

import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLoaderTest {
    @TempDir
    File dir;

    @Test
    void namesThePlatformAsTheResourceLayoutDoes() {
        assertEquals("linux-x86_64", Platform.of("Linux", "amd64", false).classifier());
        assertEquals("linux-x86_64", Platform.of("Linux", "x86_64", false).classifier());
        assertEquals("linux-aarch64", Platform.of("Linux", "aarch64", false).classifier());
        assertEquals("linux-aarch64-musl", Platform.of("Linux", "arm64", true).classifier());
        assertEquals("linux-x86_64-musl", Platform.of("Linux", "amd64", true).classifier());
        assertEquals("macos-aarch64", Platform.of("Mac OS X", "aarch64", true).classifier(),
                "musl is a Linux matter");
    }

    @Test
    void triesTheDetectedLibcFirstThenTheOther() {
        assertEquals(Arrays.asList(
                "native/linux-aarch64-musl/libx.so", "native/linux-aarch64/libx.so"),
                Platform.of("Linux", "aarch64", true).resourcePaths("libx.so"));
        assertEquals(Arrays.asList(
                "native/linux-x86_64/libx.so", "native/linux-x86_64-musl/libx.so"),
                Platform.of("Linux", "amd64", false).resourcePaths("libx.so"));
        assertEquals(Arrays.asList("native/windows-x86_64/x.dll"),
                Platform.of("Windows 11", "amd64", false).resourcePaths("x.dll"));
    }

    @Test
    void detectsMuslByItsDynamicLoader() throws IOException {
        File lib = new File(dir, "lib");
        assertTrue(lib.mkdir());
        assertFalse(Platform.hasMuslLoader(lib, new File(dir, "missing")));
        assertTrue(new File(lib, "ld-linux-x86-64.so.2").createNewFile());
        assertFalse(Platform.hasMuslLoader(lib));
        assertTrue(new File(lib, "ld-musl-x86_64.so.1").createNewFile());
        assertTrue(Platform.hasMuslLoader(new File(dir, "missing"), lib));
    }

    @Test
    void failsClearlyWhenThePluginHasNoLibraryForThePlatform() {
        ClassLoader empty = new URLClassLoader(new URL[0], null);

        ConnectException e = assertThrows(ConnectException.class, () ->
                NativeLoader.loadBundled(empty, Platform.of("Linux", "aarch64", true), dir));

        String message = e.getMessage();
        assertTrue(message.contains("os.name=Linux, os.arch=aarch64, libc=musl"), message);
        assertTrue(message.contains("native/linux-aarch64-musl/libstarrocks_kafka_jni.so (not in the plugin jar)"), message);
        assertTrue(message.contains("native/linux-aarch64/libstarrocks_kafka_jni.so (not in the plugin jar)"), message);
        assertTrue(message.contains(NativeLoader.DIR_PROPERTY), message);
    }

    @Test
    void reportsALibraryThatDoesNotLoadWithItsError() throws IOException {
        File root = new File(dir, "jar");
        File libDir = new File(root, "native/linux-x86_64");
        assertTrue(libDir.mkdirs());
        Files.write(new File(libDir, "libstarrocks_kafka_jni.so").toPath(),
                "not an ELF file".getBytes(StandardCharsets.UTF_8));
        ClassLoader jar = new URLClassLoader(new URL[] {root.toURI().toURL()}, null);
        File extractTo = new File(dir, "extract");

        ConnectException e = assertThrows(ConnectException.class, () ->
                NativeLoader.loadBundled(jar, Platform.of("Linux", "amd64", false), extractTo));

        String message = e.getMessage();
        assertTrue(message.contains("native/linux-x86_64/libstarrocks_kafka_jni.so (java.lang.UnsatisfiedLinkError"), message);
        assertTrue(message.contains("native/linux-x86_64-musl/libstarrocks_kafka_jni.so (not in the plugin jar)"), message);
    }

    @Test
    void extractsEachLoadToItsOwnFileWithAHeldLock() throws IOException {
        File source = new File(dir, "lib.so");
        Files.write(source.toPath(), new byte[] {1, 2, 3});
        File into = new File(dir, "extract");

        File first = NativeLoader.extract(source.toURI().toURL(), into, "libstarrocks_kafka_jni.so");
        File second = NativeLoader.extract(source.toURI().toURL(), into, "libstarrocks_kafka_jni.so");

        assertNotEquals(first, second);
        assertTrue(first.getName().startsWith("libstarrocks_kafka_jni-") && first.getName().endsWith(".so"));
        assertEquals(3, Files.readAllBytes(first.toPath()).length);
        File lock = new File(into, first.getName().replace(".so", ".lck"));
        assertTrue(lock.exists(), "the lock file sits beside the library");
        makeOld(first, lock);
        NativeLoader.deleteStaleCopies(into, ".so");
        assertTrue(first.exists(), "a copy whose lock is held by a live loader is kept");
    }

    @Test
    void deletesCopiesLeftByDeadProcesses() throws IOException {
        File into = new File(dir, "extract");
        assertTrue(into.mkdirs());
        File orphanLock = new File(into, "libstarrocks_kafka_jni-1.lck");
        File orphanLib = new File(into, "libstarrocks_kafka_jni-1.so");
        File lockless = new File(into, "libstarrocks_kafka_jni-2.so");
        File fresh = new File(into, "libstarrocks_kafka_jni-3.so");
        File unrelated = new File(into, "other.so");
        for (File f : new File[] {orphanLock, orphanLib, lockless, fresh, unrelated}) {
            assertTrue(f.createNewFile());
        }
        makeOld(orphanLock, orphanLib, lockless, unrelated);

        NativeLoader.deleteStaleCopies(into, ".so");

        assertFalse(orphanLock.exists());
        assertFalse(orphanLib.exists());
        assertFalse(lockless.exists());
        assertTrue(fresh.exists(), "a copy being set up right now is kept");
        assertTrue(unrelated.exists());
    }

    @Test
    void namesAMissingOverrideLibrary() {
        String previous = System.getProperty(NativeLoader.LIB_PROPERTY);
        System.setProperty(NativeLoader.LIB_PROPERTY, new File(dir, "nope.so").getAbsolutePath());
        try {
            if (NativeLoader.isLoaded()) {
                return; // another test of this JVM loaded the real library
            }
            ConnectException e = assertThrows(ConnectException.class, NativeLoader::load);
            assertTrue(e.getMessage().contains("nope.so"), e.getMessage());
            assertFalse(NativeLoader.isLoaded());
        } finally {
            if (previous == null) {
                System.clearProperty(NativeLoader.LIB_PROPERTY);
            } else {
                System.setProperty(NativeLoader.LIB_PROPERTY, previous);
            }
        }
    }

    private static void makeOld(File... files) {
        long old = System.currentTimeMillis() - 3_600_000L;
        for (File f : files) {
            assertTrue(f.setLastModified(old));
        }
    }
}
