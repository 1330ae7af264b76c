package org.d4h.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

import org.eclipse.dataspacetck.core.system.ConsoleMonitor;
import org.eclipse.dataspacetck.dsp.system.DspSystemLauncher;
import org.eclipse.dataspacetck.runtime.TckRuntime;
import org.junit.jupiter.api.Test;

/**
 * Runs the DSP TCK verification package against the connector described by the properties file in the
 * system property {@code tck.config} (written by tests/tck/conftest.py). Scenario results are written, one
 * per line, to {@code tck.report} by {@link ResultRecorder}; this test fails if any scenario failed.
 * {@code tck.filter} is a regular expression over display names (classes and scenarios) selecting the
 * scenarios; default: the provider-role groups MET, CAT, CN, TP.
 */
class DspTckTest {
    static final String PROVIDER_ROLE = "^(MET|CAT|CN|TP)[:_]\\d.*";

    @Test
    void runTck() throws IOException {
        var config = System.getProperty("tck.config", "");
        assertTrue(!config.isBlank() && Files.isRegularFile(Path.of(config)),
                "set -Dtck.config=<path to the TCK properties file>; got '" + config + "'");
        var properties = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(config))) {
            properties.load(in);
        }
        Map<String, String> values = new HashMap<>();
        properties.stringPropertyNames().forEach(name -> values.put(name, properties.getProperty(name)));

        var report = System.getProperty("tck.report", "");
        if (!report.isBlank()) {
            Files.deleteIfExists(Path.of(report));
            Files.deleteIfExists(Path.of(report + ".log"));
        }
        var filter = System.getProperty("tck.filter", "");
        var pattern = Pattern.compile(filter.isBlank() ? PROVIDER_ROLE : filter);
        var debug = Boolean.parseBoolean(values.getOrDefault("dataspacetck.debug", "false"));

        var summary = TckRuntime.Builder.newInstance()
                .properties(values)
                .launcher(DspSystemLauncher.class)
                .addPackage("org.eclipse.dataspacetck.dsp.verification")
                .displayNameMatching(name -> pattern.matcher(name).matches())
                .monitor(new ConsoleMonitor(debug, false))
                .build()
                .execute();

        assertTrue(summary.getTestsFoundCount() > 0, "the TCK found no scenario matching " + pattern);
        assertEquals(0, summary.getTotalFailureCount(),
                summary.getTotalFailureCount() + " TCK scenario(s) failed; see " + report);
    }
}
