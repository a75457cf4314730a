package com.starrocks.connector.kafka.internal;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The running platform as the native library's resource layout names it:
 * {@code <os>-<arch>[-musl]}, e.g. {@code linux-x86_64} or {@code linux-aarch64-musl}.
 *
 * <p>musl is detected by the presence of its dynamic loader ({@code /lib/ld-musl-*}), as
 * Alpine-based images such as {@code apache/kafka} have it; no process is started.
 */
public final class Platform {
    private final String osName;
    private final String osArch;
    private final String os;
    private final String arch;
    private final boolean musl;

    private Platform(String osName, String osArch, boolean musl) {
        this.osName = osName;
        this.osArch = osArch;
        this.os = normalizeOs(osName);
        this.arch = normalizeArch(osArch);
        this.musl = musl && "linux".equals(os);
    }

    /** The platform of this JVM. */
    public static Platform current() {
        return of(System.getProperty("os.name", ""), System.getProperty("os.arch", ""),
                hasMuslLoader(new File("/lib"), new File("/usr/lib")));
    }

    /** A platform from the JVM's {@code os.name} and {@code os.arch} and the libc found. */
    public static Platform of(String osName, String osArch, boolean musl) {
        return new Platform(osName, osArch, musl);
    }

    /** Whether any of the directories holds musl's dynamic loader ({@code ld-musl-*}). */
    public static boolean hasMuslLoader(File... dirs) {
        for (File dir : dirs) {
            String[] names = dir.list();
            if (names == null) {
                continue;
            }
            for (String name : names) {
                if (name.startsWith("ld-musl-")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The resource directory name, e.g. {@code linux-x86_64-musl}. */
    public String classifier() {
        return classifier(musl);
    }

    private String classifier(boolean withMusl) {
        return os + "-" + arch + (withMusl ? "-musl" : "");
    }

    public boolean isMusl() {
        return musl;
    }

    /**
     * The jar resources to try, best first: the detected libc's build, then (on Linux) the other
     * libc's, since a glibc build can load under musl's gcompat and the detection is a heuristic.
     */
    public List<String> resourcePaths(String libraryFileName) {
        List<String> paths = new ArrayList<>(2);
        paths.add("native/" + classifier(musl) + "/" + libraryFileName);
        if ("linux".equals(os)) {
            paths.add("native/" + classifier(!musl) + "/" + libraryFileName);
        }
        return paths;
    }

    /** For error messages: {@code os.name=Linux, os.arch=amd64, libc=glibc}. */
    public String describe() {
        String libc = "linux".equals(os) ? (musl ? "musl" : "glibc") : "n/a";
        return "os.name=" + osName + ", os.arch=" + osArch + ", libc=" + libc;
    }

    @Override
    public String toString() {
        return classifier();
    }

    static String normalizeOs(String osName) {
        String n = osName.toLowerCase(Locale.ROOT);
        if (n.startsWith("linux")) {
            return "linux";
        }
        if (n.startsWith("mac") || n.startsWith("darwin")) {
            return "macos";
        }
        if (n.startsWith("windows")) {
            return "windows";
        }
        return n.replaceAll("[^a-z0-9]", "");
    }

    static String normalizeArch(String osArch) {
        String a = osArch.toLowerCase(Locale.ROOT);
        switch (a) {
            case "amd64":
            case "x86_64":
            case "x86-64":
            case "x64":
                return "x86_64";
            case "aarch64":
            case "arm64":
                return "aarch64";
            default:
                return a.replaceAll("[^a-z0-9_]", "");
        }
    }
}
