package newsearch.solr;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Starts a SolrCloud of N Solr nodes and an embedded ZooKeeper (MiniSolrCloudCluster from
 * solr-test-framework) in a base directory, for tests and demos.
 *
 * <p>Usage: {@code java -jar solr-launcher.jar [--nodes N] [--base-dir DIR]}. When the cluster
 * is up, prints one JSON line on stdout: {@code {"ready":true,"nodes":[URL...],"zk":"host:port",
 * "seconds":S}}. Then reads commands on stdin, one a line, each answered by one JSON line:
 * {@code status}, {@code stop-node I}, {@code start-node I} (I counts from 0) and
 * {@code shutdown}. Closing stdin or SIGTERM stops every node and ZooKeeper, then exits 0.
 */
public final class Launcher {
  private static final PrintStream OUT = System.out;
  private static MiniSolrCloudCluster cluster;
  private static final List<JettySolrRunner> nodes = new ArrayList<>();
  private static final List<Boolean> running = new ArrayList<>();
  private static final AtomicBoolean stopped = new AtomicBoolean(false);

  private Launcher() {}

  public static void main(String[] args) throws Exception {
    int count = 2;
    Path baseDir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes":
          count = Integer.parseInt(args[++i]);
          break;
        case "--base-dir":
          baseDir = Paths.get(args[++i]);
          break;
        default:
          System.err.println("usage: solr-launcher [--nodes N] [--base-dir DIR]");
          System.exit(2);
      }
    }
    if (count < 1) {
      System.err.println("--nodes must be at least 1");
      System.exit(2);
    }
    if (baseDir == null) {
      baseDir = Files.createTempDirectory("solr-launcher");
    }
    if (Files.isDirectory(baseDir)) {
      try (var entries = Files.list(baseDir)) {
        if (entries.findAny().isPresent()) {
          // the cluster's state is not meant to outlive it: every start is a fresh cluster
          System.err.println("--base-dir " + baseDir + " is not empty: give a new directory");
          System.exit(2);
        }
      }
    }
    Files.createDirectories(baseDir);
    // Solr's logs must not reach stdout, which carries the JSON lines.
    System.setOut(System.err);
    // Configsets are uploaded over HTTP (/admin/configs?action=UPLOAD) by the product.
    System.setProperty("solr.configset.upload.enabled", "true");
    System.setProperty("solr.allowPaths", "*");

    long started = System.nanoTime();
    Runtime.getRuntime().addShutdownHook(new Thread(Launcher::stop, "launcher-shutdown"));
    JettyConfig jetty = JettyConfig.builder().setContext("/solr").stopAtShutdown(false).build();
    cluster = new MiniSolrCloudCluster(count, baseDir.toAbsolutePath(), jetty);
    cluster.waitForAllNodes(60);
    nodes.addAll(cluster.getJettySolrRunners());
    for (int i = 0; i < nodes.size(); i++) {
      running.add(true);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    reply("{\"ready\":true,\"nodes\":" + urls() + ",\"zk\":\""
        + cluster.getZkServer().getZkAddress() + "\",\"seconds\":"
        + String.format(java.util.Locale.ROOT, "%.1f", seconds) + "}");

    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] words = line.trim().split("\\s+");
      if (words.length == 0 || words[0].isEmpty()) {
        continue;
      }
      try {
        switch (words[0]) {
          case "status":
            reply(status());
            break;
          case "stop-node":
            stopNode(index(words));
            reply(status());
            break;
          case "start-node":
            startNode(index(words));
            reply(status());
            break;
          case "shutdown":
            stop();
            reply("{\"ok\":true,\"shutdown\":true}");
            System.exit(0);
            break;
          default:
            error("unknown command " + words[0] + " (status, stop-node I, start-node I, shutdown)");
        }
      } catch (IllegalArgumentException e) {
        error(e.getMessage());
      } catch (Exception e) {
        error(e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
    stop(); // stdin closed: the parent has gone
    System.exit(0);
  }

  private static int index(String[] words) {
    if (words.length != 2) {
      throw new IllegalArgumentException(words[0] + " needs a node number");
    }
    int i;
    try {
      i = Integer.parseInt(words[1]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a node number: " + words[1]);
    }
    if (i < 0 || i >= nodes.size()) {
      throw new IllegalArgumentException("no node " + i + " (0.." + (nodes.size() - 1) + ")");
    }
    return i;
  }

  private static synchronized void stopNode(int i) throws Exception {
    if (!running.get(i)) {
      return;
    }
    JettySolrRunner node = nodes.get(i);
    cluster.stopJettySolrRunner(node);
    cluster.waitForJettyToStop(node);
    running.set(i, false);
  }

  private static synchronized void startNode(int i) throws Exception {
    if (running.get(i)) {
      return;
    }
    JettySolrRunner node = nodes.get(i);
    cluster.startJettySolrRunner(node, true); // same port: clients keep their URL
    cluster.waitForNode(node, 60);
    running.set(i, true);
  }

  private static synchronized void stop() {
    if (!stopped.compareAndSet(false, true) || cluster == null) {
      return;
    }
    try {
      cluster.shutdown();
    } catch (Exception e) {
      System.err.println("error stopping the cluster: " + e);
    }
  }

  private static String urls() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < nodes.size(); i++) {
      sb.append(i == 0 ? "" : ",").append('"').append(nodes.get(i).getBaseUrl()).append('"');
    }
    return sb.append(']').toString();
  }

  private static String status() {
    StringBuilder sb = new StringBuilder("{\"ok\":true,\"nodes\":" + urls() + ",\"running\":[");
    for (int i = 0; i < running.size(); i++) {
      sb.append(i == 0 ? "" : ",").append(running.get(i));
    }
    return sb.append("]}").toString();
  }

  private static void error(String message) {
    reply("{\"ok\":false,\"error\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"")
        .replace("\n", " ") + "\"}");
  }

  private static synchronized void reply(String json) {
    OUT.println(json);
    OUT.flush();
  }
}
