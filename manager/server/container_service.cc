#include "manager/server/container_service.h"

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/strings/str_cat.h"
#include "manager/lifecycle/detach_keys.h"
#include "manager/lifecycle/log_reader.h"
#include "manager/server/grpc_status.h"
#include "nlohmann/json.hpp"
#include "proto/skiff/v1/time.h"

namespace skiff::manager {

namespace v1 = skiff::v1;
using grpc::ServerContext;
using grpc::Status;

absl::Status ClassifyProcessError(const absl::Status& status) {
  if (status.ok()) return status;
  absl::string_view msg = status.message();
  if (!absl::StrContains(msg, "exec: ") && !absl::StrContains(msg, "exec:`")) return status;
  v1::ErrorDetail detail;
  if (absl::StrContains(msg, "not found") || absl::StrContains(msg, "no such file") ||
      absl::StrContains(msg, "broken symlink") || absl::StrContains(msg, "does not exist")) {
    detail.set_reason(v1::ErrorDetail::REASON_COMMAND_NOT_FOUND);
    detail.set_hint("check the command and the image's PATH");
  } else {
    detail.set_reason(v1::ErrorDetail::REASON_COMMAND_NOT_EXECUTABLE);
    detail.set_hint("the command exists but cannot be executed");
  }
  return WithDetail(absl::FailedPreconditionError(msg), detail);
}

namespace {



// The shim's exit record ('x' payload) as an ExitStatus.
v1::ExitStatus ExitFromRecord(const std::string& record) {
  v1::ExitStatus st;
  nlohmann::json j = nlohmann::json::parse(record, nullptr, false);
  if (!j.is_object()) {
    st.set_exit_code(255);
    st.set_error("unreadable exit record from skiff-shim");
    return st;
  }
  st.set_exit_code(j.value("exit_code", 255));
  st.set_oom_killed(j.value("oom_killed", false));
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, j.value("exited_at", ""), &t, &err)) {
    *st.mutable_finished_at() = TimeToProto(t);
  }
  return st;
}

// Moves bytes between a bidi gRPC stream and a shim session until the
// session exits, the client detaches or goes away. `Resp` is AttachResponse
// or ExecResponse (same field names for output/exit/detached).
template <typename Resp, typename Req>
Status Pump(ServerContext* ctx, grpc::ServerReaderWriter<Resp, Req>* stream,
            skiff::shim::AttachClient& client, const std::string& detach_keys, bool want_out,
            bool want_err) {
  std::atomic<bool> detach{false};
  absl::Notification reader_done;
  std::thread reader([&] {
    DetachScanner scanner(detach_keys);
    Req r;
    while (stream->Read(&r)) {
      if (r.msg_case() == Req::kStdin) {
        std::string pass;
        bool d = scanner.Feed(r.stdin(), &pass);
        if (!pass.empty()) (void)client.SendStdin(pass);
        if (d) {
          detach = true;
          break;
        }
      } else if (r.msg_case() == Req::kResize) {
        (void)client.Resize(static_cast<uint16_t>(r.resize().rows()),
                            static_cast<uint16_t>(r.resize().columns()));
      } else if (r.msg_case() == Req::kCloseStdin) {
        (void)client.CloseStdin();
      } else if constexpr (std::is_same_v<Req, v1::AttachRequest>) {
        if (r.msg_case() == v1::AttachRequest::kDetach) {
          detach = true;
          break;
        }
      }
    }
    reader_done.Notify();
  });
  Status result = Status::OK;
  for (;;) {
    if (detach) {
      (void)client.Detach();
      Resp resp;
      resp.set_detached(true);
      stream->Write(resp);
      break;
    }
    if (ctx->IsCancelled()) {
      result = Status(grpc::StatusCode::CANCELLED, "the client went away");
      break;
    }
    absl::StatusOr<skiff::shim::AttachClient::Event> ev = client.Next(absl::Milliseconds(100));
    if (!ev.ok()) {
      if (absl::IsDeadlineExceeded(ev.status())) continue;
      result = ToGrpc(ev.status(), ctx);
      break;
    }
    using Kind = skiff::shim::AttachClient::Event::Kind;
    if (ev->kind == Kind::kStdout || ev->kind == Kind::kStderr) {
      bool err = ev->kind == Kind::kStderr;
      if (err ? !want_err : !want_out) continue;
      Resp resp;
      resp.mutable_output()->set_stream(err ? v1::STD_STREAM_STDERR : v1::STD_STREAM_STDOUT);
      resp.mutable_output()->set_data(ev->data);
      if (!stream->Write(resp)) {
        result = Status(grpc::StatusCode::CANCELLED, "the client went away");
        break;
      }
    } else if (ev->kind == Kind::kExit) {
      Resp resp;
      *resp.mutable_exit() = ExitFromRecord(ev->data);
      stream->Write(resp);
      break;
    } else if (ev->kind == Kind::kError) {
      result = Status(grpc::StatusCode::FAILED_PRECONDITION, ev->data);
      break;
    } else {
      // The shim closed without an exit record: it went away.
      Resp resp;
      resp.mutable_exit()->set_exit_code(255);
      resp.mutable_exit()->set_error("the container's monitor closed the connection");
      stream->Write(resp);
      break;
    }
  }
  // The reader is blocked in Read until the client half-closes; a client
  // that does not within a second is cancelled (it has its last message).
  if (!reader_done.WaitForNotificationWithTimeout(absl::Seconds(1))) ctx->TryCancel();
  reader.join();
  return result;
}

}  // namespace

Status ContainerServiceImpl::Create(ServerContext* ctx, const v1::CreateContainerRequest* req,
                                    v1::CreateContainerResponse* resp) {
  absl::StatusOr<v1::CreateContainerResponse> r = manager_.Create(*req);
  if (!r.ok()) return ToGrpc(r.status(), ctx);
  *resp = *r;
  return Status::OK;
}

Status ContainerServiceImpl::Start(ServerContext* ctx, const v1::StartContainerRequest* req,
                                   v1::StartContainerResponse* resp) {
  absl::StatusOr<bool> r = manager_.Start(req->id());
  if (!r.ok()) return ToGrpc(ClassifyProcessError(r.status()), ctx);
  resp->set_started(*r);
  return Status::OK;
}

Status ContainerServiceImpl::Stop(ServerContext* ctx, const v1::StopContainerRequest* req,
                                  v1::StopContainerResponse* resp) {
  std::optional<int> timeout;
  if (req->has_timeout_seconds()) timeout = req->timeout_seconds();
  absl::StatusOr<bool> r = manager_.Stop(req->id(), timeout, req->signal());
  if (!r.ok()) return ToGrpc(r.status(), ctx);
  resp->set_was_running(*r);
  return Status::OK;
}

Status ContainerServiceImpl::Kill(ServerContext* ctx, const v1::KillContainerRequest* req,
                                  v1::KillContainerResponse*) {
  return ToGrpc(manager_.Kill(req->id(), req->signal()), ctx);
}

Status ContainerServiceImpl::Restart(ServerContext* ctx, const v1::RestartContainerRequest* req,
                                     v1::RestartContainerResponse*) {
  std::optional<int> timeout;
  if (req->has_timeout_seconds()) timeout = req->timeout_seconds();
  return ToGrpc(ClassifyProcessError(manager_.Restart(req->id(), timeout, req->signal())), ctx);
}

Status ContainerServiceImpl::Remove(ServerContext* ctx, const v1::RemoveContainerRequest* req,
                                    v1::RemoveContainerResponse* resp) {
  absl::StatusOr<std::string> r = manager_.Remove(req->id(), req->force());
  if (!r.ok()) return ToGrpc(r.status(), ctx);
  resp->set_id(*r);
  return Status::OK;
}

Status ContainerServiceImpl::Wait(ServerContext* ctx, const v1::WaitContainerRequest* req,
                                  grpc::ServerWriter<v1::WaitContainerResponse>* writer) {
  absl::StatusOr<ContainerManager::WaitTicket> t = manager_.RegisterWait(req->id(), req->condition());
  if (!t.ok()) return ToGrpc(t.status(), ctx);
  v1::WaitContainerResponse waiting;
  waiting.set_waiting(true);
  writer->Write(waiting);
  absl::StatusOr<v1::ExitStatus> st = manager_.AwaitWait(*t, [ctx] { return ctx->IsCancelled(); });
  if (!st.ok()) return ToGrpc(st.status(), ctx);
  v1::WaitContainerResponse done;
  *done.mutable_exit() = *st;
  writer->Write(done);
  return Status::OK;
}

Status ContainerServiceImpl::Pause(ServerContext* ctx, const v1::PauseContainerRequest* req,
                                   v1::PauseContainerResponse*) {
  return ToGrpc(manager_.Pause(req->id()), ctx);
}

Status ContainerServiceImpl::Unpause(ServerContext* ctx, const v1::UnpauseContainerRequest* req,
                                     v1::UnpauseContainerResponse*) {
  return ToGrpc(manager_.Unpause(req->id()), ctx);
}

Status ContainerServiceImpl::Rename(ServerContext* ctx, const v1::RenameContainerRequest* req,
                                    v1::RenameContainerResponse*) {
  return ToGrpc(manager_.Rename(req->id(), req->new_name()), ctx);
}

Status ContainerServiceImpl::Inspect(ServerContext* ctx, const v1::InspectContainerRequest* req,
                                     v1::InspectContainerResponse* resp) {
  absl::StatusOr<v1::ContainerInfo> r = manager_.Inspect(req->id());
  if (!r.ok()) return ToGrpc(r.status(), ctx);
  *resp->mutable_container() = *r;
  return Status::OK;
}

Status ContainerServiceImpl::List(ServerContext* ctx, const v1::ListContainersRequest* req,
                                  v1::ListContainersResponse* resp) {
  absl::StatusOr<std::vector<v1::ContainerSummary>> r = manager_.List(*req);
  if (!r.ok()) return ToGrpc(r.status(), ctx);
  for (auto& s : *r) *resp->add_containers() = std::move(s);
  return Status::OK;
}

Status ContainerServiceImpl::Logs(ServerContext* ctx, const v1::LogsRequest* req,
                                  grpc::ServerWriter<v1::LogsResponse>* writer) {
  absl::StatusOr<ContainerEndpoints> e = manager_.Endpoints(req->id());
  if (!e.ok()) return ToGrpc(e.status(), ctx);
  LogQuery q;
  q.want_stdout = req->stdout() || !req->stderr();
  q.want_stderr = req->stderr() || !req->stdout();
  if (req->has_since()) q.since = TimeFromProto(req->since());
  if (req->has_until()) q.until = TimeFromProto(req->until());
  if (q.since && q.until && *q.since > *q.until) {
    return Status(grpc::StatusCode::INVALID_ARGUMENT, "--since is after --until");
  }
  if (req->has_tail()) {
    if (req->tail() < -1) {
      return Status(grpc::StatusCode::INVALID_ARGUMENT, "--tail must be a number of lines or all");
    }
    q.tail = req->tail();
  }
  bool gone = false;
  auto sink = [&](const LogRecord& r) {
    v1::LogsResponse resp;
    resp.mutable_frame()->set_stream(r.is_stderr ? v1::STD_STREAM_STDERR : v1::STD_STREAM_STDOUT);
    resp.mutable_frame()->set_data(r.partial ? r.content : r.content + "\n");
    *resp.mutable_time() = TimeToProto(r.time);
    if (!writer->Write(resp)) gone = true;
    return !gone;
  };
  LogFollower follower(e->log_path);
  absl::StatusOr<bool> more = follower.ReadExisting(q, sink);
  if (!more.ok()) return ToGrpc(more.status(), ctx);
  if (!*more || !req->follow()) return Status::OK;
  const std::string id = e->id;
  absl::Status st = follower.Follow(q, sink, [&] {
    return !ctx->IsCancelled() && manager_.IsRunning(id);
  });
  return ToGrpc(st, ctx);
}

Status ContainerServiceImpl::Attach(
    ServerContext* ctx, grpc::ServerReaderWriter<v1::AttachResponse, v1::AttachRequest>* stream) {
  v1::AttachRequest first;
  if (!stream->Read(&first) || first.msg_case() != v1::AttachRequest::kStart) {
    return Status(grpc::StatusCode::INVALID_ARGUMENT, "the first attach message must be `start`");
  }
  const v1::AttachStart& s = first.start();
  absl::StatusOr<std::string> keys = ParseDetachKeys(s.detach_keys());
  if (!keys.ok()) return ToGrpc(keys.status(), ctx);
  absl::StatusOr<ContainerEndpoints> e = manager_.Endpoints(s.id());
  if (!e.ok()) return ToGrpc(e.status(), ctx);
  bool none = !s.stdin() && !s.stdout() && !s.stderr();
  bool want_stdin = s.stdin() || (none && e->open_stdin);
  if (want_stdin && !e->open_stdin) {
    return Status(grpc::StatusCode::FAILED_PRECONDITION,
                  absl::StrCat("container ", e->name,
                               " was created without -i: its stdin cannot be attached"));
  }
  // A created or stopped container is attached when it next starts, before
  // its process runs (skiff run: attach, then start).
  absl::StatusOr<ContainerManager::AttachTicket> ticket =
      manager_.RegisterAttach(e->id, want_stdin);
  if (!ticket.ok()) return ToGrpc(ticket.status(), ctx);
  // The client may start the container once it has the initial metadata:
  // the attach is registered and will see every byte.
  stream->SendInitialMetadata();
  absl::StatusOr<std::unique_ptr<skiff::shim::AttachClient>> client =
      manager_.AwaitAttach(*ticket, [ctx] { return ctx->IsCancelled(); });
  if (!client.ok()) {
    return ToGrpc(absl::Status(client.status().code(),
                               absl::StrCat("cannot attach to ", e->name, ": ",
                                            client.status().message())),
                  ctx);
  }
  if (e->tty && s.size().rows() > 0 && s.size().columns() > 0) {
    (void)(*client)->Resize(static_cast<uint16_t>(s.size().rows()),
                            static_cast<uint16_t>(s.size().columns()));
  }
  if (s.logs()) {
    LogFollower follower(e->log_path);
    (void)follower.ReadExisting({}, [&](const LogRecord& r) {
      v1::AttachResponse resp;
      resp.mutable_output()->set_stream(r.is_stderr ? v1::STD_STREAM_STDERR
                                                    : v1::STD_STREAM_STDOUT);
      resp.mutable_output()->set_data(r.partial ? r.content : r.content + "\n");
      return stream->Write(resp);
    });
  }
  manager_.events().PublishContainer("attach", e->id, e->name, "", {});
  Status st = Pump(ctx, stream, **client, *keys, none || s.stdout(), none || s.stderr());
  manager_.events().PublishContainer("detach", e->id, e->name, "", {});
  return st;
}

Status ContainerServiceImpl::Exec(
    ServerContext* ctx, grpc::ServerReaderWriter<v1::ExecResponse, v1::ExecRequest>* stream) {
  v1::ExecRequest first;
  if (!stream->Read(&first) || first.msg_case() != v1::ExecRequest::kStart) {
    return Status(grpc::StatusCode::INVALID_ARGUMENT, "the first exec message must be `start`");
  }
  const v1::ExecStart& s = first.start();
  absl::StatusOr<std::string> keys = ParseDetachKeys(s.detach_keys());
  if (!keys.ok()) return ToGrpc(keys.status(), ctx);
  absl::StatusOr<ContainerManager::ExecSession> session = manager_.Exec(s);
  if (!session.ok()) return ToGrpc(ClassifyProcessError(session.status()), ctx);
  v1::ExecResponse started;
  started.mutable_started()->set_exec_id(session->exec_id);
  started.mutable_started()->set_pid(session->pid);
  stream->Write(started);
  if (s.detach() || session->client == nullptr) return Status::OK;
  if (s.process().tty() && s.size().rows() > 0 && s.size().columns() > 0) {
    (void)session->client->Resize(static_cast<uint16_t>(s.size().rows()),
                                  static_cast<uint16_t>(s.size().columns()));
  }
  bool none = !s.attach_stdout() && !s.attach_stderr();
  return Pump(ctx, stream, *session->client, *keys, none || s.attach_stdout(),
              none || s.attach_stderr());
}

Status ContainerServiceImpl::Top(ServerContext* ctx, const v1::TopRequest* req,
                                 v1::TopResponse* resp) {
  absl::StatusOr<v1::TopResponse> r = manager_.Top(req->id(), req->ps_args());
  if (!r.ok()) return ToGrpc(r.status(), ctx);
  *resp = *r;
  return Status::OK;
}

Status ContainerServiceImpl::Prune(ServerContext* ctx, const v1::PruneContainersRequest* req,
                                   v1::PruneContainersResponse* resp) {
  absl::StatusOr<v1::PruneContainersResponse> r = manager_.Prune(*req);
  if (!r.ok()) return ToGrpc(r.status(), ctx);
  *resp = *r;
  return Status::OK;
}

Status ContainerServiceImpl::Stats(ServerContext* ctx, const v1::StatsRequest* req,
                                   grpc::ServerWriter<v1::StatsResponse>* writer) {
  for (;;) {
    std::vector<std::string> ids(req->ids().begin(), req->ids().end());
    if (ids.empty()) {
      v1::ListContainersRequest list;
      list.set_all(req->all());
      absl::StatusOr<std::vector<v1::ContainerSummary>> all = manager_.List(list);
      if (!all.ok()) return ToGrpc(all.status(), ctx);
      for (const auto& c : *all) ids.push_back(c.id());
    }
    v1::StatsResponse resp;
    for (const std::string& id : ids) {
      absl::StatusOr<v1::ContainerStats> s = manager_.Sample(id);
      if (!s.ok()) {
        // A named container must exist; one that went away meanwhile is skipped.
        if (!req->ids().empty()) return ToGrpc(s.status(), ctx);
        continue;
      }
      *resp.add_stats() = *s;
    }
    if (!writer->Write(resp) || !req->stream()) return Status::OK;
    for (int i = 0; i < 10; ++i) {
      if (ctx->IsCancelled()) return Status::OK;
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
}

}  // namespace skiff::manager
