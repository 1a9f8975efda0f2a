// skiffd: the manager daemon. Opens the stores under --root, recovers the
// containers it knew (they kept running while it was away), and serves the
// skiff.v1 API on a unix socket. SIGTERM/SIGINT stop the daemon, never the
// containers.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "grpcpp/grpcpp.h"
#include "manager/content/content_store.h"
#include "manager/events/event_bus.h"
#include "manager/images/image_manager.h"
#include "manager/lifecycle/container_manager.h"
#include "manager/metadata/store.h"
#include "manager/server/container_service.h"
#include "manager/server/image_service.h"
#include "manager/server/system_service.h"
#include "manager/snapshots/native/native.h"
#include "manager/snapshots/overlay/overlay.h"
#include "manager/snapshots/unpack.h"
#include "manager/system/readiness.h"

DEFINE_string(root, "/var/lib/skiff", "persistent state: metadata, content, snapshots, logs");
DEFINE_string(state, "/run/skiff", "runtime state: bundles, shim state, the runtime's root");
DEFINE_string(socket, "", "the API socket (default <--state>/skiffd.sock)");
DEFINE_string(runtime, "", "the OCI runtime (default: ocirun beside skiffd, then in PATH)");
DEFINE_string(shim, "", "the shim (default: skiff-shim beside skiffd, then in PATH)");
DEFINE_string(snapshotter, "auto", "overlay, native (copies; works anywhere) or auto");
DEFINE_string(log_level, "info", "info, warning or error (also --log-level)");
DEFINE_string(insecure_registry, "",
              "registry host:port spoken to over plain HTTP when TLS fails (repeatable, or "
              "comma-separated; 127.0.0.0/8, ::1 and localhost always are)");
DEFINE_string(default_registry, "docker.io",
              "the registry of a reference without a domain (busybox -> "
              "<this>/library/busybox)");
DEFINE_string(registry_certs_dir, "/etc/skiff/certs.d",
              "per-registry CA and client certificates: <dir>/<host:port>/*.crt, *.cert + *.key");

namespace skiff::manager {
namespace {

std::string FindBinary(const std::string& flag, const std::string& name) {
  if (!flag.empty()) return std::filesystem::absolute(flag).string();
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside = self.parent_path() / name;
    if (access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  const char* path = getenv("PATH");
  std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string candidate = p.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;  // the readiness check reports it missing, with the fix
}

std::string DaemonId(const std::string& root) {
  std::string path = root + "/daemon-id";
  absl::StatusOr<std::string> id = ReadFile(path);
  if (id.ok() && !id->empty()) return std::string(absl::StripAsciiWhitespace(*id));
  std::string fresh;
  std::FILE* f = std::fopen("/proc/sys/kernel/random/uuid", "r");
  if (f) {
    char buf[64] = {};
    if (std::fgets(buf, sizeof buf, f)) fresh = std::string(absl::StripAsciiWhitespace(buf));
    std::fclose(f);
  }
  (void)WriteFileAtomic(path, fresh + "\n", 0644);
  return fresh;
}

grpc::Server* g_server = nullptr;

// Every --insecure-registry given (gflags keeps only the last of a repeated
// flag, so main() collects them before parsing).
std::vector<std::string> g_insecure_registries;

RegistryConfig MakeRegistryConfig(const std::string& root) {
  RegistryConfig rc;
  rc.default_registry = FLAGS_default_registry;
  rc.credentials_path = root + "/credentials.json";
  rc.options.http.certs_dir = FLAGS_registry_certs_dir;
  std::vector<std::string> given = g_insecure_registries;
  if (!FLAGS_insecure_registry.empty()) given.push_back(FLAGS_insecure_registry);
  for (const std::string& flag : given) {
    for (absl::string_view host : absl::StrSplit(flag, ',', absl::SkipWhitespace())) {
      rc.options.insecure_registries.emplace_back(absl::StripAsciiWhitespace(host));
    }
  }
  return rc;
}


int Main() {
  const std::string root = std::filesystem::absolute(FLAGS_root).string();
  const std::string state = std::filesystem::absolute(FLAGS_state).string();
  const std::string socket = FLAGS_socket.empty() ? state + "/skiffd.sock"
                                                  : std::filesystem::absolute(FLAGS_socket).string();
  RegistryConfig registry_config = MakeRegistryConfig(root);
  if (absl::StatusOr<Reference> probe = ParseReferenceIn("busybox", FLAGS_default_registry);
      !probe.ok() || probe->domain() != FLAGS_default_registry) {
    LOG(ERROR) << "--default-registry: want a registry host[:port] like docker.io or "
                  "127.0.0.1:5000, got `"
               << FLAGS_default_registry << "`";
    return 2;
  }

  for (const std::string& dir : {root, state, root + "/containers", state + "/containers"}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      LOG(ERROR) << "cannot create " << dir << ": " << ec.message();
      return 1;
    }
  }
  chmod(root.c_str(), 0711);
  chmod(state.c_str(), 0711);

  // One daemon per root.
  UniqueFd lock(open((root + "/skiffd.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid() || flock(lock.get(), LOCK_EX | LOCK_NB) < 0) {
    LOG(ERROR) << "another skiffd is using " << root << " (" << root
               << "/skiffd.lock is locked); stop it or use another --root";
    return 1;
  }

  ReadinessOptions readiness;
  readiness.root_dir = root;
  readiness.state_dir = state;
  readiness.runtime_path = FindBinary(FLAGS_runtime, "ocirun");
  readiness.shim_path = FindBinary(FLAGS_shim, "skiff-shim");
  std::string snapshotter_name = FLAGS_snapshotter;
  if (snapshotter_name == "auto") {
    readiness.snapshotter = "overlay";
    snapshotter_name =
        CheckOverlay(readiness).severity() == v1::ReadinessCheck::SEVERITY_OK ? "overlay" : "native";
  }
  readiness.snapshotter = snapshotter_name == "overlay" ? "overlay" : "copy";
  std::vector<v1::ReadinessCheck> checks = CheckHost(readiness);
  for (const auto& c : checks) {
    if (c.severity() == v1::ReadinessCheck::SEVERITY_OK) continue;
    LOG(WARNING) << "host check " << c.name() << ": " << c.problem()
                 << (c.fix().empty() ? "" : "; fix: " + c.fix());
  }

  absl::StatusOr<std::unique_ptr<MetadataStore>> store = MetadataStore::Open(root + "/meta.db");
  if (!store.ok()) {
    LOG(ERROR) << "cannot open the metadata store: " << store.status();
    return 1;
  }
  absl::StatusOr<std::unique_ptr<ContentStore>> content = ContentStore::Open(root);
  if (!content.ok()) {
    LOG(ERROR) << "cannot open the content store: " << content.status();
    return 1;
  }
  std::unique_ptr<Snapshotter> snapshotter;
  if (snapshotter_name == "overlay") {
    auto s = OverlaySnapshotter::Open(root + "/snapshots/overlay");
    if (!s.ok()) {
      LOG(ERROR) << "cannot open the overlay snapshotter: " << s.status();
      return 1;
    }
    snapshotter = std::move(*s);
  } else if (snapshotter_name == "native") {
    auto s = NativeSnapshotter::Open(root + "/snapshots/native");
    if (!s.ok()) {
      LOG(ERROR) << "cannot open the native snapshotter: " << s.status();
      return 1;
    }
    snapshotter = std::move(*s);
  } else {
    LOG(ERROR) << "--snapshotter: want overlay, native or auto, got " << snapshotter_name;
    return 2;
  }
  if (absl::Status st = RemoveStaleExtractions(*snapshotter); !st.ok()) {
    LOG(WARNING) << "cannot remove interrupted layer extractions: " << st;
  }

  EventBus events;
  ImageManager images(**store, **content, *snapshotter, events, registry_config.default_registry);
  // What interrupted pulls left and nothing came back for.
  if (absl::StatusOr<uint64_t> freed = images.CollectGarbage(); !freed.ok()) {
    LOG(WARNING) << "cannot collect unused blobs and layers: " << freed.status();
  } else if (*freed > 0) {
    LOG(INFO) << "removed " << *freed << " bytes of blobs and layers no image uses";
  }
  ManagerOptions mo;
  mo.root = root;
  mo.state = state;
  mo.runtime = readiness.runtime_path;
  mo.shim = readiness.shim_path;
  mo.driver = snapshotter_name == "overlay" ? "overlay" : "copy";
  ContainerManager containers(mo, **store, images, *snapshotter, events);

  SystemServiceImpl::Config sc;
  sc.readiness = readiness;
  sc.id = DaemonId(root);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  sc.name = host;
  sc.socket_path = socket;
  sc.snapshotter = mo.driver;
  sc.run_checks = [readiness] { return CheckHost(readiness); };
  SystemServiceImpl system_service(**store, events, sc);
  ImageServiceImpl image_service(images, registry_config);
  ContainerServiceImpl container_service(containers);

  system_service.SetRecovering(true);
  if (absl::Status st = containers.Recover(); !st.ok()) {
    LOG(ERROR) << "recovery: " << st;
  }
  system_service.SetRecovering(false);

  unlink(socket.c_str());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.RegisterService(&system_service);
  builder.RegisterService(&image_service);
  builder.RegisterService(&container_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    LOG(ERROR) << "cannot listen on unix:" << socket;
    return 1;
  }
  chmod(socket.c_str(), 0660);
  g_server = server.get();

  // SIGTERM / SIGINT: stop serving; the containers keep running.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    LOG(INFO) << "signal " << sig << ": shutting down (containers keep running)";
    if (g_server) g_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }).detach();
  LOG(INFO) << "skiffd ready on unix:" << socket << " (root " << root << ", state " << state
            << ", runtime " << mo.runtime << ", shim " << mo.shim << ", snapshotter " << mo.driver
            << ", default registry " << registry_config.default_registry << ")";
  if (!registry_config.options.insecure_registries.empty()) {
    LOG(INFO) << "insecure registries: "
              << absl::StrJoin(registry_config.options.insecure_registries, ", ");
  }
  server->Wait();
  system_service.Shutdown();
  unlink(socket.c_str());
  // Streams and monitor threads may still hold references; the process
  // exits without unwinding them.
  std::fflush(nullptr);
  _exit(0);
}

}  // namespace
}  // namespace skiff::manager

int main(int argc, char** argv) {
  // Docker's spelling (--log-level) next to gflags' (--log_level).
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    for (const char* name :
         {"--log-level", "--insecure-registry", "--default-registry", "--registry-certs-dir"}) {
      const std::string n = name;
      if (a == n || a.rfind(n + "=", 0) == 0) {
        for (size_t j = 2; j < n.size(); ++j) {
          if (argv[i][j] == '-') argv[i][j] = '_';
        }
      }
    }
  }
  // --insecure_registry may be repeated: take them all out of argv here.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      while (i < argc) argv[kept++] = argv[i++];
      break;
    }
    if (a.rfind("--insecure_registry=", 0) == 0) {
      skiff::manager::g_insecure_registries.push_back(a.substr(20));
    } else if (a == "--insecure_registry" && i + 1 < argc) {
      skiff::manager::g_insecure_registries.push_back(argv[++i]);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  gflags::SetUsageMessage(
      "skiffd [--root DIR] [--state DIR] [--socket PATH] [--runtime PATH] [--shim PATH] "
      "[--insecure-registry HOST:PORT]... [--default-registry HOST] [--registry-certs-dir DIR]");
  gflags::SetVersionString("0.1.0");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  if (FLAGS_log_level == "warning") FLAGS_minloglevel = 1;
  if (FLAGS_log_level == "error") FLAGS_minloglevel = 2;
  google::InitGoogleLogging(argv[0]);
  // Block the shutdown signals in every thread; one thread sigwaits them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return skiff::manager::Main();
}
