// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// sockets x cores x SMT threads, numbered the way Linux numbers them on a
// typical x86 box when SMT is off; with SMT the sibling of CPU c is
// c + sockets*cores (the second half), as on most Intel servers.
#include <cstdint>

namespace sim {

// How far apart two CPUs are, as the coherence protocol sees it.
enum class Distance : std::uint8_t { Self, SmtSibling, SameSocket, OneHop, TwoHops };
inline constexpr int kDistances = 5;
const char* to_string(Distance d);

struct Topology {
  int sockets = 2;
  int cores_per_socket = 8;
  int threads_per_core = 1;

  int cpus() const { return sockets * cores_per_socket * threads_per_core; }
  int socket_of(int cpu) const { return (cpu % (sockets * cores_per_socket)) / cores_per_socket; }
  int core_of(int cpu) const { return cpu % (sockets * cores_per_socket); }  // machine-wide core id
  int thread_of(int cpu) const { return cpu / (sockets * cores_per_socket); }

  // Sockets are fully connected up to 4 (one QPI/UPI/HT hop); larger
  // machines are groups of 4 joined by a second hop (node controllers), as
  // on the 8-socket glueless/NUMAlink designs.
  int hops(int socket_a, int socket_b) const {
    if (socket_a == socket_b) return 0;
    if (sockets <= 4) return 1;
    return socket_a / 4 == socket_b / 4 ? 1 : 2;
  }

  Distance distance(int a, int b) const {
    if (a == b) return Distance::Self;
    if (core_of(a) == core_of(b)) return Distance::SmtSibling;
    int h = hops(socket_of(a), socket_of(b));
    return h == 0 ? Distance::SameSocket : h == 1 ? Distance::OneHop : Distance::TwoHops;
  }
};

}  // namespace sim
