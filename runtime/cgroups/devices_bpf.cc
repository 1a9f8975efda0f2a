#include "runtime/cgroups/devices_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace skiff::runtime {

namespace {

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  memset(&i, 0, sizeof(i));
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn LoadW(uint8_t dst, int16_t off) { return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, 1, off, 0); }
bpf_insn Alu32Imm(uint8_t op, uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn Mov32Reg(uint8_t dst, uint8_t src) { return Insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn JmpImm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
  return Insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
bpf_insn JmpReg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) {
  return Insn(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

long Bpf(int cmd, bpf_attr* attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

absl::StatusOr<UniqueFd> Load(const std::vector<bpf_insn>& insns) {
  static const char kLicense[] = "Apache";
  bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uintptr_t>(insns.data());
  attr.insn_cnt = static_cast<uint32_t>(insns.size());
  attr.license = reinterpret_cast<uintptr_t>(kLicense);
  long fd = Bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  int err = errno;
  // Again with the verifier log, for the error message.
  std::string log(16384, '\0');
  attr.log_level = 1;
  attr.log_buf = reinterpret_cast<uintptr_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  fd = Bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));  // flaky first try: fine now
  log.resize(strlen(log.c_str()));
  absl::Status st = ErrnoError(err, "bpf(BPF_PROG_LOAD) of the device filter program");
  if (log.empty()) return st;
  return absl::Status(st.code(), absl::StrCat(st.message(), "; verifier log: ", log));
}

}  // namespace

std::vector<bpf_insn> DeviceFilterProgram(const DeviceState& state) {
  std::vector<bpf_insn> p = {
      LoadW(2, 0), Alu32Imm(BPF_AND, 2, 0xFFFF),  // r2 = type
      LoadW(3, 0), Alu32Imm(BPF_RSH, 3, 16),      // r3 = access
      LoadW(4, 4),                                 // r4 = major
      LoadW(5, 8),                                 // r5 = minor
  };
  const bool allow = !state.default_allow;  // what a matching exception returns
  for (const DeviceException& e : state.exceptions) {
    std::vector<bpf_insn> block;
    // Every jump goes to the next block; offsets are filled in below.
    block.push_back(
        JmpImm(BPF_JNE, 2, e.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
    if ((e.access & kDevAll) != kDevAll) {
      block.push_back(Mov32Reg(1, 3));
      block.push_back(Alu32Imm(BPF_AND, 1, static_cast<int32_t>(e.access)));
      // allow: requested within the rule's access; deny: any overlap.
      block.push_back(allow ? JmpReg(BPF_JNE, 1, 3, 0) : JmpImm(BPF_JEQ, 1, 0, 0));
    }
    if (e.major >= 0) block.push_back(JmpImm(BPF_JNE, 4, static_cast<int32_t>(e.major), 0));
    if (e.minor >= 0) block.push_back(JmpImm(BPF_JNE, 5, static_cast<int32_t>(e.minor), 0));
    block.push_back(Alu32Imm(BPF_MOV, 0, allow ? 1 : 0));
    block.push_back(Exit());
    const int n = static_cast<int>(block.size());
    for (int i = 0; i < n - 2; ++i) {
      if (BPF_CLASS(block[i].code) == BPF_JMP) block[i].off = static_cast<int16_t>(n - (i + 1));
    }
    p.insert(p.end(), block.begin(), block.end());
  }
  p.push_back(Alu32Imm(BPF_MOV, 0, state.default_allow ? 1 : 0));
  p.push_back(Exit());
  return p;
}

absl::StatusOr<std::vector<uint32_t>> AttachedDeviceFilters(const std::string& cgroup_dir) {
  UniqueFd dir(open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Errno("open", cgroup_dir);
  std::vector<uint32_t> ids(64);
  bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = dir.get();
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (Bpf(BPF_PROG_QUERY, &attr) != 0) {
    return Errno("bpf(BPF_PROG_QUERY) of device programs on", cgroup_dir);
  }
  ids.resize(std::min<size_t>(attr.query.prog_cnt, ids.size()));
  return ids;
}

absl::Status ApplyDeviceFilter(const std::string& cgroup_dir, const DeviceState& state) {
  UniqueFd dir(open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Errno("open", cgroup_dir);
  absl::StatusOr<std::vector<uint32_t>> old = AttachedDeviceFilters(cgroup_dir);
  ASSIGN_OR_RETURN(UniqueFd prog, Load(DeviceFilterProgram(state)));

  bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = dir.get();
  attr.attach_bpf_fd = prog.get();
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attr) != 0) {
    return Errno("bpf(BPF_PROG_ATTACH) of the device filter program to", cgroup_dir);
  }
  // The new filter is in place; now drop the ones it replaces.
  if (!old.ok()) return absl::OkStatus();  // nothing known to replace
  for (uint32_t id : *old) {
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    long fd = Bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // gone meanwhile
      return Errno(absl::StrCat("bpf(BPF_PROG_GET_FD_BY_ID) of old device program ", id, " on"),
                   cgroup_dir);
    }
    UniqueFd old_prog(static_cast<int>(fd));
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = dir.get();
    attr.attach_bpf_fd = old_prog.get();
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (Bpf(BPF_PROG_DETACH, &attr) != 0 && errno != ENOENT) {
      return Errno(absl::StrCat("bpf(BPF_PROG_DETACH) of old device program ", id, " from"),
                   cgroup_dir);
    }
  }
  return absl::OkStatus();
}

}  // namespace skiff::runtime
