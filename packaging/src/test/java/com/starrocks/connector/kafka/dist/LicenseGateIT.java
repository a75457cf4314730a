package com.starrocks.connector.kafka.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The licence gate of the build (packaging/licenses/third-party.sh with the project's
 * packaging/licenses/about.toml, which the build runs at prepare-package) refuses a crate under a
 * licence the project does not accept, naming it, and passes the real dependency graph.
 *
 * <p>The refused crate lives in a throwaway cargo workspace: a crate that depends, by path, on
 * {@code gpl-dep}, whose Cargo.toml says {@code license = "GPL-3.0-only"}. The same workspace
 * with {@code gpl-dep} under MIT passes, so the failure is the licence and nothing else.
 */
class LicenseGateIT {
    static final Path ROOT = Paths.get(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
    static final Path GATE = ROOT.resolve("packaging/licenses/third-party.sh");

    @TempDir
    Path work;

    @Test
    void refuses_a_dependency_under_gpl_naming_the_crate() throws Exception {
        Path manifest = throwawayWorkspace("GPL-3.0-only");
        Result result = gate(manifest);
        assertNotEquals(0, result.exit, "the gate passed a GPL-3.0-only dependency:\n" + result.output);
        assertTrue(result.output.contains("refused: gpl-dep 0.1.0, license = \"GPL-3.0-only\""),
                "the failure names the crate and its licence:\n" + result.output);
        assertTrue(result.output.contains("about.toml does not accept"), "the gate says what to do:\n" + result.output);
    }

    @Test
    void passes_the_same_dependency_under_mit() throws Exception {
        Path manifest = throwawayWorkspace("MIT");
        Result result = gate(manifest);
        assertEquals(0, result.exit, "the gate refused an MIT dependency:\n" + result.output);
        String listing = new String(Files.readAllBytes(work.resolve("THIRD-PARTY.txt")), StandardCharsets.UTF_8);
        assertTrue(listing.contains("gpl-dep 0.1.0: MIT"), "the listing names the crate and its licence:\n" + listing);
    }

    @Test
    void passes_the_real_graph_of_the_native_library() throws Exception {
        Result result = gate(ROOT.resolve("native/jni/Cargo.toml"));
        assertEquals(0, result.exit, "the real dependency graph fails the licence gate:\n" + result.output);
        String listing = new String(Files.readAllBytes(work.resolve("THIRD-PARTY.txt")), StandardCharsets.UTF_8);
        for (String crate : Arrays.asList("reqwest", "tokio", "rustls", "jni", "serde_json")) {
            assertTrue(listing.contains("\n  " + crate + " "), "the listing lacks " + crate);
        }
        assertTrue(listing.contains("Apache License") && listing.contains("Permission is hereby granted"),
                "the listing carries the licence texts (Apache-2.0, MIT)");
    }

    /** app -> gpl-dep (by path), gpl-dep under LICENSE; returns app's Cargo.toml. */
    Path throwawayWorkspace(String license) throws Exception {
        Path ws = work.resolve("ws");
        write(ws.resolve("Cargo.toml"),
                "[workspace]\nresolver = \"2\"\nmembers = [\"app\", \"gpl-dep\"]\n");
        write(ws.resolve("app/Cargo.toml"),
                "[package]\nname = \"license-gate-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"
                        + "license = \"Apache-2.0\"\npublish = false\n\n"
                        + "[dependencies]\ngpl-dep = { path = \"../gpl-dep\" }\n");
        write(ws.resolve("app/src/lib.rs"), "pub use gpl_dep::answer;\n");
        write(ws.resolve("gpl-dep/Cargo.toml"),
                "[package]\nname = \"gpl-dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"
                        + "license = \"" + license + "\"\npublish = false\n");
        write(ws.resolve("gpl-dep/src/lib.rs"), "pub fn answer() -> u32 { 42 }\n");
        Result lock = run(ws.toFile(), "cargo", "generate-lockfile", "--offline");
        assertEquals(0, lock.exit, "cargo generate-lockfile:\n" + lock.output);
        return ws.resolve("app/Cargo.toml");
    }

    Result gate(Path manifest) throws Exception {
        return run(ROOT.toFile(), "bash", GATE.toString(), "-m", manifest.toString(),
                work.resolve("THIRD-PARTY.txt").toString());
    }

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    static Result run(File dir, String... command) throws Exception {
        List<String> argv = Arrays.asList(command);
        Process process = new ProcessBuilder(argv).directory(dir).redirectErrorStream(true).start();
        // Read while it runs, so a full pipe never stalls it.
        byte[] out = readAll(process);
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + argv);
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static byte[] readAll(Process process) throws IOException {
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int n;
        while ((n = process.getInputStream().read(chunk)) != -1) {
            buffer.write(chunk, 0, n);
        }
        return buffer.toByteArray();
    }

    static final class Result {
        final int exit;
        final String output;

        Result(int exit, String output) {
            this.exit = exit;
            this.output = output;
        }
    }
}
