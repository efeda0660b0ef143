// SPDX-License-Identifier: GPL-2.0-only
#include "sim/presets.hpp"

namespace sim::detail {

// A modern 2-socket x86 server: Intel Cascade Lake-SP (Xeon Scalable 2nd gen,
// mesh on die, UPI between the sockets). Every number is in ns.
//
// Sources (no single public study covers every row, so two measurements of
// the same generation, same die family and same socket count are combined):
//
// [C2C] Nicolas Viennot et al., "core-to-core-latency", github.com/nviennot/
//   core-to-core-latency, README.md (commit 96a943a, 2023-01-17), tables
//   "Single socket results" (48ns), "Dual sockets results" (136ns) and
//   "Hyper-threads" (7.4ns), row "Intel Xeon Gold 6242, 16 Cores, Cascade
//   Lake"; raw data results/"Dual Intel(R) Xeon Gold 6242 @ 2.8GHz.csv"
//   (2 x 16 cores x 2 threads). Method (src/bench/cas.rs): two pinned threads
//   take turns doing compare_exchange on one flag in one cache line; the
//   reported value is round-trip time / 2, i.e. one locked RMW on a line
//   Modified in the other thread's cache. Machine: 2x Xeon Gold 6242,
//   16 cores, 2.8 GHz base.
// [MLC] KU Leuven VSC documentation, "Memory bandwidth and latency
//   measurements (Genius)", github.com/hpcleuven/VscDocumentation,
//   source/leuven/old_hardware/genius/cascadelake_mlc.txt: Intel Memory
//   Latency Checker v3.10 on a Genius Cascade Lake node, 2x Xeon Gold 6240,
//   18 cores, 2.6 GHz (genius_hardware.rst), random access (prefetchers left
//   on). "Local Socket L2->L2 HIT latency 48.8", "Local Socket L2->L2 HITM
//   latency 49.3", "Remote Socket L2->L2 HITM latency" 114.1/113.2 (data
//   homed in writer socket) and 114.0/113.5 (homed in reader socket), idle
//   memory latency 80.8/81.5 local, 140.4/141.6 remote.
//   (For comparison only: FD.io CSIT's Cascade Lake testbed, docs/report
//   calibration data, MLC v3.7, reports 55.6 local HITM and 115.6 / 178.2
//   remote HITM writer-/reader-homed; the remote figure depends on the
//   BIOS snoop/directory settings.)
// [7CPU] 7-cpu.com/cpu/Skylake_X.html (same core as Cascade Lake-SP): L1 data
//   load-to-use latency 4 cycles (5 with complex address calculation), as
//   quoted from that page in public notes (e.g. "L1 cache read 4 cycles").
//   Converted at the 6242's 2.8 GHz base clock: 4 / 2.8 = 1.43 ns (at the
//   3.9 GHz max turbo it would be 1.03 ns).
// [DGT] David, Guerraoui, Trigonakis, SOSP 2013, Table 2, Xeon column (the
//   westmere_ex preset): stores cost what atomics cost (same die 115 vs 120,
//   one hop 320 vs 324 cycles) and an atomic on a Shared line costs what one
//   on a Modified line costs (113 vs 120, 312 vs 324). Used only to fill the
//   rows no Cascade Lake source measured, as noted on each row.
//
// Columns: {Self, SMT sibling, same socket, one hop, two hops}.
// SMT siblings share the L1D (Intel SDM vol. 3A, 8.7), so every plain load or
// store between siblings costs an L1 hit [7CPU]; only the sibling atomic has a
// measurement of its own [C2C]. A 2-socket machine has no two-hop pairs
// (Topology::hops() never returns 2 for <= 4 sockets); that column repeats
// the one-hop value and is never used.
MachinePreset modern_2s_preset() {
  const double l1 = 4 / 2.8;   // [7CPU] 4 cycles at 2.8 GHz = 1.43 ns
  const double cas_smt = 7.4;  // [C2C] "Hyper-threads" table, Gold 6242
  const double cas_socket = 48;  // [C2C] "Single socket results", Gold 6242 (CSV median 47.5-48.0)
  const double cas_hop = 136;  // [C2C] "Dual sockets results", Gold 6242 (CSV cross-socket pairs 134-146, median 141)
  const double hitm_socket = 49.3;  // [MLC] Local Socket L2->L2 HITM
  const double hit_socket = 48.8;   // [MLC] Local Socket L2->L2 HIT (line clean in another core)
  const double hitm_hop = (114.1 + 113.2 + 114.0 + 113.5) / 4;  // [MLC] remote HITM, all four entries: 113.7

  MachinePreset p;
  p.name = "x86-2s-modern";
  p.description =
      "2-socket Intel Cascade Lake-SP: atomics from 2x Xeon Gold 6242 (16 cores, 2.8 GHz), "
      "loads/DRAM from 2x Xeon Gold 6240 (18 cores, 2.6 GHz)";
  p.source =
      "nviennot/core-to-core-latency README (Gold 6242 CAS); KU Leuven VSC Genius MLC v3.10 "
      "(Gold 6240); 7-cpu.com Skylake_X (L1); DGT SOSP 2013 Table 2 for unmeasured rows";
  p.topology = Topology{2, 16, 1};  // the [C2C] machine: 2 x 16 cores (it has HT, modelled off here)
  p.ghz = 2.8;                      // Gold 6242 base clock
  auto& c = p.costs;

  // Load, line Modified in another cache.
  //   same socket: [MLC] L2->L2 HITM 49.3 ns; one hop: [MLC] remote HITM 113.7 ns.
  c.load_modified = {l1, l1, hitm_socket, hitm_hop, hitm_hop};
  // Load, line clean (Shared/Exclusive) elsewhere.
  //   same socket: [MLC] L2->L2 HIT 48.8 ns.
  //   one hop: NOT MEASURED (MLC only times remote HITM). Taken equal to the
  //   remote HITM, 113.7 ns, because on this machine the local clean and
  //   modified transfers cost the same (48.8 vs 49.3), so the state hardly
  //   matters once a snoop is needed. Reading the line from remote DRAM instead
  //   would cost 140-142 ns [MLC idle latency, remote node].
  c.load_shared = {l1, l1, hit_socket, hitm_hop, hitm_hop};
  // Store, line Modified elsewhere: NOT MEASURED for same socket / one hop.
  //   Taken equal to the measured CAS on a Modified line [C2C] (48 / 136 ns),
  //   since [DGT] found stores within 4% of atomics on an Intel Xeon.
  //   Self / SMT: store into the own / shared L1 = L1 latency [7CPU].
  c.store_modified = {l1, l1, cas_socket, cas_hop, cas_hop};
  // Store, line Shared elsewhere (invalidate the sharers): NOT MEASURED.
  //   Taken equal to the atomic on a Shared line below (itself = CAS on a
  //   Modified line), since [DGT] found store-on-Shared ~ atomic-on-Shared
  //   (116 vs 113 same die, 318 vs 312 one hop).
  c.store_shared = {l1, l1, cas_socket, cas_hop, cas_hop};
  // Locked RMW, line Modified elsewhere.
  //   Self: NOT MEASURED separately. Taken equal to the SMT value, 7.4 ns
  //     (= 21 cycles at 2.8 GHz): in that ping-pong the line never leaves the
  //     shared L1, so it is one locked RMW on an L1-resident line plus the
  //     hand-off, an upper bound for an uncontended local atomic.
  //   SMT: [C2C] 7.4 ns.  Same socket: [C2C] 48 ns.  One hop: [C2C] 136 ns.
  c.atomic_modified = {cas_smt, cas_smt, cas_socket, cas_hop, cas_hop};
  // Locked RMW, line Shared elsewhere: NOT MEASURED. Taken equal to the CAS on
  //   a Modified line [C2C], since [DGT] found atomic-on-Shared within 6% of
  //   atomic-on-Modified (113 vs 120 same die, 312 vs 324 one hop).
  c.atomic_shared = {cas_smt, cas_smt, cas_socket, cas_hop, cas_hop};
  c.load_hit = l1;   // [7CPU] 4 cycles at 2.8 GHz
  c.store_hit = l1;  // store to an owned line: taken equal to the L1 load latency, as in presets.cpp
  c.memory = (80.8 + 81.5) / 2;  // [MLC] idle latency, local node (0->0 80.8, 1->1 81.5): 81.15 ns
  return p;
}

}  // namespace sim::detail
