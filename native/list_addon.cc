// N-API glue for fdscan.c (listNamespaces' scan of /proc), on glue.h's checks.
#include <cerrno>
#include <cstdint>
#include <vector>

#include "addon.h"
#include "fdscan.h"
#include "glue.h"

// processNamespaces(pid, withFds) -> [8 inodes in nsb_ns_entries' order, fd, ino, fd, ino, …] | -errno
Napi::Value Addon::ProcessNamespaces(const Napi::CallbackInfo& info) {
  glue::Args args(info, "processNamespaces", 2);
  int pid;
  bool with_fds;
  if (!args || !args.Int(0, "pid", 1, INT32_MAX, &pid) || !args.Bool(1, "withFds", &with_fds)) return {};
  uint64_t inodes[NSB_NS_ENTRIES];
  std::vector<nsb_held> held(16);
  int n;
  while ((n = nsb_process_namespaces(pid, inodes, with_fds, held.data(), held.size())) == -ENOSPC &&
         held.size() < 65536)
    held.resize(held.size() * 4);
  if (n < 0) return glue::Number(args.env(), n);
  glue::Out out = glue::Out::Array(args.env());
  uint32_t at = 0;
  for (uint64_t ino : inodes) out.Set(at++, static_cast<double>(ino));
  for (int i = 0; i < n; i++, at += 2) out.Set(at, held[i].fd).Set(at + 1, static_cast<double>(held[i].ino));
  return out.Value();
}

// heldNamespace(pid, fd) -> an fd of ours on the namespace it holds | -errno
Napi::Value Addon::HeldNamespace(const Napi::CallbackInfo& info) {
  glue::Args args(info, "heldNamespace", 2);
  int pid, fd;
  if (!args || !args.Int(0, "pid", 1, INT32_MAX, &pid) || !args.Fd(1, &fd)) return {};
  int r = nsb_held_namespace(pid, fd);
  return Owned(glue::FdResult(args.env(), r), r);
}
