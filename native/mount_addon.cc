// Glue for mount.c: the bind mounts that keep namespaces, and /run/netns.
#include "addon.h"
#include "mount.h"

namespace {

// [created, dev, ino] of the mount point file, or [-errno, syscall].
Napi::Value FileResult(napi_env env, int r, const nsb_file& file) {
  if (r < 0) return glue::Out::Array(env).Set(0u, r).Set(1u, glue::Str(env, file.failed)).Value();
  return glue::Out::Array(env)
      .Set(0u, file.created)
      .Set(1u, static_cast<double>(file.dev))
      .Set(2u, static_cast<double>(file.ino))
      .Value();
}

// A whole number from -1 (none) up to 2^53, for st_dev and st_ino as JS holds them.
bool Identity(const glue::Args& args, size_t i, const char* what, int64_t* out) {
  return args.Int(i, what, -1, int64_t{1} << 53, out);
}

}  // namespace

Napi::Value Addon::OpenDir(const Napi::CallbackInfo& info) {
  glue::Args args(info, "openDir", 1);
  std::string path;
  if (!args || !args.String(0, "path", &path)) return {};
  int r = nsb_open_dir(path.c_str());
  return Owned(glue::FdResult(args.env(), r), r);
}

Napi::Value Addon::PersistAt(const Napi::CallbackInfo& info) {
  glue::Args args(info, "persistAt", 4);
  int nsfd, dirfd;
  std::string name;
  bool exclusive;
  if (!args || !args.Int(0, "nsFd", -1, INT32_MAX, &nsfd) || !args.Fd(1, &dirfd) || !args.String(2, "name", &name) ||
      !args.Bool(3, "exclusive", &exclusive))
    return {};
  nsb_file file = {};
  return FileResult(args.env(), nsb_persist_at(nsfd, dirfd, name.c_str(), exclusive, &file), file);
}

Napi::Value Addon::ReleaseAt(const Napi::CallbackInfo& info) {
  glue::Args args(info, "releaseAt", 2);
  int dirfd;
  std::string name;
  if (!args || !args.Fd(0, &dirfd) || !args.String(1, "name", &name)) return {};
  nsb_file file = {};
  return FileResult(args.env(), nsb_release_at(dirfd, name.c_str(), &file), file);
}

Napi::Value Addon::UnlinkAt(const Napi::CallbackInfo& info) {
  glue::Args args(info, "unlinkAt", 4);
  int dirfd;
  std::string name;
  int64_t dev, ino;
  if (!args || !args.Fd(0, &dirfd) || !args.String(1, "name", &name) || !Identity(args, 2, "dev", &dev) ||
      !Identity(args, 3, "ino", &ino))
    return {};
  nsb_file expect = {0, static_cast<uint64_t>(dev), static_cast<uint64_t>(ino), nullptr};
  bool any = dev < 0 || ino < 0;
  return glue::Number(args.env(), nsb_unlink_at(dirfd, name.c_str(), any ? nullptr : &expect));
}

Napi::Value Addon::MakeSharedMountpoint(const Napi::CallbackInfo& info) {
  glue::Args args(info, "makeSharedMountpoint", 1);
  std::string dir;
  if (!args || !args.String(0, "dir", &dir)) return {};
  return glue::Number(args.env(), nsb_make_shared_mountpoint(dir.c_str()));
}
