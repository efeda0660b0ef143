#pragma once
// Every key the lock micro-benchmark (`scenario = "lockbench"`) accepts.
#include "sim/config.hpp"

namespace models::lockbench {

const sim::config::Schema& schema();

}  // namespace models::lockbench
