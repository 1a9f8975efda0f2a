#pragma once
// skiffd's own version, reported by SystemService.Version and `skiff version`.

namespace skiff::manager {

inline constexpr char kSkiffVersion[] = "0.1.0";
// The API generation served (package skiff.v1), as PingResponse documents it.
inline constexpr char kApiVersion[] = "1";

}  // namespace skiff::manager
