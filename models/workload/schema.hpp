#pragma once
// Every key `aiosim run` accepts, with its type, default, range and meaning.
#include "sim/config.hpp"

namespace models {

const sim::config::Schema& run_schema();

}  // namespace models
