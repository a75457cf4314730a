/*
 * The build's check of the shim jar before it is archived (packaging/pom.xml runs it at
 * prepare-package, as a JDK single-file program: `java CheckShimJar.java JAR KIND`):
 *
 *   native libraries  KIND=release: the jar carries exactly the four platforms' libraries,
 *                     native/<platform>/libstarrocks_kafka_jni.so for linux-x86_64,
 *                     linux-aarch64, linux-x86_64-musl and linux-aarch64-musl. KIND=host-only-dev
 *                     (-Dnative.targets=host): exactly one library. Either way each is a
 *                     64-bit ELF shared object for its directory's machine (x86-64 or AArch64).
 *                     native/build-native.sh has already checked each library's glibc floor and
 *                     JNI exports; this checks that what reached the jar is what was promised.
 *   Java 8 bytecode   every .class has class-file major version 52, so the connector loads on
 *                     the Java 8 workers Kafka Connect 3.x still supports.
 *
 * Exits 1 naming every problem; nothing is archived then.
 */
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

public class CheckShimJar {
    static final String LIB = "libstarrocks_kafka_jni.so";
    static final List<String> RELEASE_PLATFORMS =
            List.of("linux-x86_64", "linux-aarch64", "linux-x86_64-musl", "linux-aarch64-musl");
    static final int JAVA_8_MAJOR = 52;
    // ELF e_machine values.
    static final int EM_X86_64 = 62;
    static final int EM_AARCH64 = 183;

    public static void main(String[] args) throws IOException {
        if (args.length != 2 || !(args[1].equals("release") || args[1].equals("host-only-dev"))) {
            System.err.println("usage: java CheckShimJar.java SHIM_JAR release|host-only-dev");
            System.exit(2);
        }
        String jarPath = args[0];
        String kind = args[1];
        List<String> problems = new ArrayList<>();
        Map<String, Integer> libraries = new TreeMap<>(); // platform -> e_machine
        int classes = 0;
        Map<Integer, List<String>> wrongMajors = new TreeMap<>();

        try (ZipFile jar = new ZipFile(jarPath)) {
            for (Enumeration<? extends ZipEntry> e = jar.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                String name = entry.getName();
                if (entry.isDirectory()) {
                    continue;
                }
                if (name.startsWith("native/")) {
                    String[] parts = name.split("/");
                    if (parts.length != 3 || !parts[2].equals(LIB)) {
                        problems.add("unexpected file under native/: " + name);
                        continue;
                    }
                    try (InputStream in = jar.getInputStream(entry)) {
                        libraries.put(parts[1], elfMachine(in, name, problems));
                    }
                } else if (name.endsWith(".class")) {
                    classes++;
                    try (InputStream in = jar.getInputStream(entry)) {
                        int major = classMajor(in);
                        if (major != JAVA_8_MAJOR) {
                            wrongMajors.computeIfAbsent(major, k -> new ArrayList<>()).add(name);
                        }
                    }
                }
            }
        }

        if (kind.equals("release")) {
            List<String> missing = new ArrayList<>(RELEASE_PLATFORMS);
            missing.removeAll(libraries.keySet());
            TreeSet<String> extra = new TreeSet<>(libraries.keySet());
            extra.removeAll(RELEASE_PLATFORMS);
            if (!missing.isEmpty()) {
                problems.add("the jar lacks the native library of " + missing + " (it has "
                        + libraries.keySet() + "). A release needs all four: build with the default"
                        + " -Dnative.targets=all; a -Dnative.targets=host jar only makes *-host-only-dev"
                        + " archives.");
            }
            if (!extra.isEmpty()) {
                problems.add("the jar carries libraries of unknown platforms: " + extra);
            }
        } else if (libraries.size() != 1) {
            problems.add("a -Dnative.targets=host build should carry exactly one native library, the"
                    + " build host's; the jar has " + libraries.keySet());
        }
        for (Map.Entry<String, Integer> lib : libraries.entrySet()) {
            String platform = lib.getKey();
            Integer machine = lib.getValue();
            int expected = platform.startsWith("linux-x86_64") ? EM_X86_64
                    : platform.startsWith("linux-aarch64") ? EM_AARCH64 : -1;
            if (expected == -1) {
                problems.add("native/" + platform + "/: not a platform this connector knows");
            } else if (machine != null && machine != expected) {
                problems.add("native/" + platform + "/" + LIB + " is built for ELF machine " + machine
                        + ", not " + (expected == EM_X86_64 ? "x86-64 (62)" : "AArch64 (183)"));
            }
        }

        if (classes == 0) {
            problems.add("the jar holds no .class files");
        }
        for (Map.Entry<Integer, List<String>> wrong : wrongMajors.entrySet()) {
            List<String> names = wrong.getValue();
            Collections.sort(names);
            problems.add(names.size() + " class file(s) have major version " + wrong.getKey()
                    + " (Java " + (wrong.getKey() - 44) + "), not 52 (Java 8), e.g. "
                    + names.subList(0, Math.min(3, names.size()))
                    + ": the shim must stay Java 8 bytecode (maven.compiler.release=8)");
        }

        if (!problems.isEmpty()) {
            System.err.println("CheckShimJar: " + jarPath + " (" + kind + " build):");
            for (String p : problems) {
                System.err.println("  - " + p);
            }
            System.exit(1);
        }
        System.out.println("CheckShimJar: " + jarPath + ": " + kind + " build, native libraries "
                + libraries.keySet() + ", " + classes + " classes, all Java 8 (major 52)");
    }

    /** The class-file major version: bytes 6-7 after the 0xCAFEBABE magic. */
    static int classMajor(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        if (data.readInt() != 0xCAFEBABE) {
            return -1;
        }
        data.readUnsignedShort(); // minor
        return data.readUnsignedShort();
    }

    /** The ELF header's e_machine of a 64-bit little-endian shared object, or null if it is not one. */
    static Integer elfMachine(InputStream in, String name, List<String> problems) throws IOException {
        byte[] header = in.readNBytes(20);
        if (header.length < 20 || header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F') {
            problems.add(name + " is not an ELF file");
            return null;
        }
        if (header[4] != 2 || header[5] != 1) {
            problems.add(name + " is not a 64-bit little-endian ELF file");
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.getShort(16) & 0xffff;
        if (type != 3) { // ET_DYN
            problems.add(name + " is not a shared object (ELF type " + type + ")");
        }
        return b.getShort(18) & 0xffff;
    }
}
