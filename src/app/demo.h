// `tributary demo`: a first look at Tributary in one command. Starts a node on SQLite, the simulated Personio
// and Greenhouse, and a sample endpoint that verifies each webhook's signature and prints it; connects an
// integration per tool through the public API (the Greenhouse web hook is set up in the simulator as an end
// customer would); then makes a change in one of the tools every few seconds, so events flow in the logs API
// within seconds.
#pragma once

#include <functional>
#include <string>

#include "core/config.h"

namespace tributary::app {

struct DemoOptions {
  int change_interval_ms = 3000;
  std::string database = "./var/demo.db";  // recreated at each start
};

// Runs until `wait` returns (the caller blocks on a signal); returns the process exit code.
int run_demo(Config config, const DemoOptions& options, const std::function<void()>& wait);

}  // namespace tributary::app
