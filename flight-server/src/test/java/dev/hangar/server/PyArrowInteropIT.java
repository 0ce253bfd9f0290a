package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The pyarrow suite in client-examples/python/tests (including the README tour and SQL through the Python ADBC driver) against a live
 * server on the embedded default config. The build's pre-integration-test step creates .venv.
 */
class PyArrowInteropIT {
  @Test
  void pyarrowClientsWork() throws Exception {
    Path tests = Path.of(System.getProperty("hangar.python.tests", "../client-examples/python/tests"));
    try (HangarServer server = HangarServer.start(HangarConfig.defaults().withPort(0))) {
      assertThat(PyTest.run(tests, server.port())).contains("62 passed");
      assertThat(server.workingAllocatedBytes()).isZero();
    }
  }
}
