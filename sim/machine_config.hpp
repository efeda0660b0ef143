// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The [machine] section every scenario shares: its keys, and the topology and
// coherence costs a config gives (a preset, with per-key overrides).
#include "sim/config.hpp"
#include "sim/presets.hpp"

namespace sim {

// machine.preset (default `default_preset`), machine.sockets,
// machine.cores_per_socket (1..max_cores_per_socket), machine.cpus (the
// sockets and cores follow from it, sim/machine_config.cpp), machine.threads_per_core,
// the machine.cost.<name> overrides and the store buffer keys.
void add_machine_keys(config::Schema& s, const char* default_preset, int max_cores_per_socket);

// The preset's topology with the config's overrides; at most `max_cpus` CPUs.
Topology topology_from(const config::Config& cfg, const MachinePreset& p, int max_cpus);

// Store buffer entries per CPU (machine.store_buffer, .store_buffer_entries);
// 0 when store buffers are off.
int store_buffer_from(const config::Config& cfg);

// The preset's costs with every machine.cost.<name> override applied.
CoherenceCosts costs_from(const config::Config& cfg, const MachinePreset& p);

}  // namespace sim
