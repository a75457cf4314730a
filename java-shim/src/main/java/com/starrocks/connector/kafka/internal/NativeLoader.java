package com.starrocks.connector.kafka.internal;

import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the Rust core ({@code libstarrocks_kafka_jni}) once per class loader.
 *
 * <p>The library is taken from the jar's {@code native/<os>-<arch>[-musl]/} resources for the
 * running platform ({@link Platform}) and extracted to a uniquely named file on every load: the
 * JVM binds a native library to one class loader, and Connect may hold two copies of this
 * plugin in one JVM (two installed versions, several workers in one process), each of which
 * must load its own copy.
 *
 * <p>Extracted copies live in {@code ${java.io.tmpdir}/starrocks-kafka-connector}, or in the
 * directory named by the system property {@value #DIR_PROPERTY} (for hosts whose temp
 * directory is mounted {@code noexec}). Each copy has a {@code .lck} companion locked for the
 * life of the JVM; copies whose lock is free belong to dead processes and are deleted.
 *
 * <p>The system property {@value #LIB_PROPERTY} names a library file to load directly instead
 * (used by tests and for debugging).
 */
public final class NativeLoader {
    /** The library's base name. */
    public static final String LIBRARY = "starrocks_kafka_jni";
    /** System property: the directory to extract the library into. */
    public static final String DIR_PROPERTY = "starrocks.connector.native.dir";
    /** System property: an absolute path of a library file to load instead of the bundled one. */
    public static final String LIB_PROPERTY = "starrocks.connector.native.lib";

    private static final Logger LOG = LoggerFactory.getLogger(NativeLoader.class);
    private static final String PREFIX = "lib" + LIBRARY + "-";
    private static final String LOCK_SUFFIX = ".lck";
    /** A lock file younger than this may still be being set up by its owner. */
    private static final long STALE_AFTER_MILLIS = 60_000;
    /** Lock channels held for the life of this class loader; never closed. */
    private static final List<FileChannel> HELD_LOCKS = new ArrayList<>();

    private static boolean loaded;

    private NativeLoader() {
    }

    /**
     * Loads the library unless this class loader already has; idempotent and thread-safe.
     *
     * @throws ConnectException naming the platform and what was tried when no library loads
     */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String override = System.getProperty(LIB_PROPERTY, "").trim();
        if (!override.isEmpty()) {
            loadFile(new File(override));
        } else {
            loadBundled(NativeLoader.class.getClassLoader(), Platform.current(), extractionDir());
        }
        loaded = true;
    }

    /** Whether this class loader has loaded the library. */
    public static synchronized boolean isLoaded() {
        return loaded;
    }

    static File extractionDir() {
        String dir = System.getProperty(DIR_PROPERTY, "").trim();
        if (!dir.isEmpty()) {
            return new File(dir);
        }
        return new File(System.getProperty("java.io.tmpdir"), "starrocks-kafka-connector");
    }

    private static void loadFile(File file) {
        if (!file.isFile()) {
            throw new ConnectException("The native library " + file + " named by -D" + LIB_PROPERTY
                    + " does not exist");
        }
        try {
            System.load(file.getAbsolutePath());
        } catch (UnsatisfiedLinkError e) {
            throw new ConnectException("The native library " + file + " named by -D" + LIB_PROPERTY
                    + " could not be loaded: " + e.getMessage(), e);
        }
        LOG.info("Loaded the StarRocks connector's native library from {}", file);
    }

    /**
     * Finds the platform's library among {@code resources}, extracts it into {@code dir} and
     * loads it; tries the other libc's build when the first fails.
     *
     * @throws ConnectException naming the platform and each resource tried, with its problem
     */
    public static void loadBundled(ClassLoader resources, Platform platform, File dir) {
        String fileName = System.mapLibraryName(LIBRARY);
        List<String> problems = new ArrayList<>();
        for (String path : platform.resourcePaths(fileName)) {
            URL url = resources.getResource(path);
            if (url == null) {
                problems.add(path + " (not in the plugin jar)");
                continue;
            }
            try {
                File file = extract(url, dir, fileName);
                System.load(file.getAbsolutePath());
                LOG.info("Loaded the StarRocks connector's native library {} as {}", path, file);
                return;
            } catch (IOException | UnsatisfiedLinkError e) {
                problems.add(path + " (" + e + ")");
            }
        }
        throw new ConnectException("The StarRocks connector has no native library that loads on "
                + "this platform (" + platform.describe() + "); tried " + String.join(", ", problems)
                + ". Bundled builds cover Linux x86_64 and aarch64 with glibc or musl. If the "
                + "library exists but cannot be mapped (a noexec temp directory), set -D"
                + DIR_PROPERTY + " to a directory that allows execution.");
    }

    /** Copies the resource to a new, uniquely named file in {@code dir}, with a held lock. */
    static File extract(URL resource, File dir, String fileName) throws IOException {
        if (!dir.isDirectory() && !dir.mkdirs() && !dir.isDirectory()) {
            throw new IOException("cannot create the directory " + dir);
        }
        deleteStaleCopies(dir, suffixOf(fileName));
        File lock = File.createTempFile(PREFIX, LOCK_SUFFIX, dir);
        lock.deleteOnExit();
        FileChannel channel = FileChannel.open(lock.toPath(), StandardOpenOption.WRITE);
        boolean locked = false;
        try {
            locked = channel.tryLock() != null;
        } finally {
            if (locked) {
                HELD_LOCKS.add(channel);
            } else {
                channel.close();
            }
        }
        String base = lock.getName().substring(0, lock.getName().length() - LOCK_SUFFIX.length());
        File library = new File(dir, base + suffixOf(fileName));
        library.deleteOnExit();
        try (InputStream in = resource.openStream()) {
            Files.copy(in, library.toPath(), StandardCopyOption.REPLACE_EXISTING);
        }
        return library;
    }

    /**
     * Deletes extracted copies left by processes that are gone: those whose lock file is old
     * and not locked by anyone, and libraries whose lock file is missing.
     */
    static void deleteStaleCopies(File dir, String librarySuffix) {
        File[] files = dir.listFiles();
        if (files == null) {
            return;
        }
        long now = System.currentTimeMillis();
        for (File file : files) {
            String name = file.getName();
            if (!name.startsWith(PREFIX) || now - file.lastModified() < STALE_AFTER_MILLIS) {
                continue;
            }
            if (name.endsWith(LOCK_SUFFIX)) {
                String base = name.substring(0, name.length() - LOCK_SUFFIX.length());
                if (lockIsFree(file)) {
                    delete(new File(dir, base + librarySuffix));
                    delete(file);
                }
            } else if (name.endsWith(librarySuffix)) {
                String base = name.substring(0, name.length() - librarySuffix.length());
                if (!new File(dir, base + LOCK_SUFFIX).exists()) {
                    delete(file);
                }
            }
        }
    }

    private static boolean lockIsFree(File lockFile) {
        try (FileChannel channel = FileChannel.open(lockFile.toPath(), StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return false;
            }
            lock.release();
            return true;
        } catch (OverlappingFileLockException e) {
            return false; // held by this JVM (another copy of the plugin)
        } catch (IOException e) {
            return false;
        }
    }

    private static void delete(File file) {
        if (file.exists() && !file.delete()) {
            LOG.debug("Could not delete the stale native library copy {}", file);
        }
    }

    private static String suffixOf(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot < 0 ? "" : fileName.substring(dot);
    }
}
