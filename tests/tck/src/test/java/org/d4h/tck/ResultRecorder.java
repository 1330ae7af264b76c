package org.d4h.tck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Records the outcome of every TCK scenario (a test method of an org.eclipse.dataspacetck class) as one
 * tab-separated line in the file named by the system property {@code tck.report}:
 * status, display name, class#method, duration in ms, failure message (one line).
 * Registered through META-INF/services, so it also sees the TCK's own JUnit launcher.
 */
public class ResultRecorder implements TestExecutionListener {
    private final Map<String, Long> started = new ConcurrentHashMap<>();

    @Override
    public void executionStarted(TestIdentifier identifier) {
        if (scenario(identifier) != null) {
            started.put(identifier.getUniqueId(), System.nanoTime());
        }
    }

    @Override
    public void executionSkipped(TestIdentifier identifier, String reason) {
        var method = scenario(identifier);
        if (method != null) {
            write("SKIPPED", identifier, method, 0, reason);
        }
    }

    @Override
    public void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
        var method = scenario(identifier);
        if (method == null) {
            containerFailure(identifier, result);
            return;
        }
        result.getThrowable().ifPresent(t -> detail(identifier.getDisplayName(), t));
        var begin = started.remove(identifier.getUniqueId());
        long millis = begin == null ? 0 : (System.nanoTime() - begin) / 1_000_000;
        var message = result.getThrowable().map(t -> t.getClass().getName() + ": " + t.getMessage()).orElse("");
        write(result.getStatus().name(), identifier, method, millis, message);
    }

    /** A TCK class that failed as a whole (e.g. in @BeforeAll): its scenarios never start. */
    private static void containerFailure(TestIdentifier identifier, TestExecutionResult result) {
        var source = identifier.getSource().orElse(null);
        if (source instanceof ClassSource cls && cls.getClassName().startsWith("org.eclipse.dataspacetck.")
                && result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
            var message = result.getThrowable().map(t -> t.getClass().getName() + ": " + t.getMessage()).orElse("");
            result.getThrowable().ifPresent(t -> detail(identifier.getDisplayName(), t));
            line("CLASS_" + result.getStatus().name() + "\t" + clean(identifier.getDisplayName()) + "\t"
                    + cls.getClassName() + "\t0\t" + clean(message) + "\n", "");
        }
    }

    /** Full stack traces go to {@code <tck.report>.log}. */
    private static void detail(String name, Throwable throwable) {
        var trace = new StringWriter();
        throwable.printStackTrace(new PrintWriter(trace));
        line("==== " + name + "\n" + trace + "\n", ".log");
    }

    private static MethodSource scenario(TestIdentifier identifier) {
        var source = identifier.getSource().orElse(null);
        if (source instanceof MethodSource method && method.getClassName().startsWith("org.eclipse.dataspacetck.")) {
            return method;
        }
        return null;
    }

    private static void write(String status, TestIdentifier id, MethodSource method, long millis, String message) {
        line(String.join("\t", status, clean(id.getDisplayName()),
                method.getClassName() + "#" + method.getMethodName(), Long.toString(millis), clean(message)) + "\n", "");
    }

    private static synchronized void line(String text, String suffix) {
        var report = System.getProperty("tck.report", "");
        if (report.isBlank()) {
            return;
        }
        try {
            Files.writeString(Path.of(report + suffix), text, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String clean(String text) {
        return text == null ? "" : text.replaceAll("[\\t\\r\\n]+", " ").strip();
    }
}
