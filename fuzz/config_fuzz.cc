// Configuration parsing (core/config.*): a TOML file, or environment variables, through load_config, then
// the values derived from a loaded configuration (listen host and port, public URL).
//
// Input: byte 0 even: the rest is the TOML file (written to a temporary file, as load_config reads a path);
// odd: the rest is lines "TRIBUTARY_KEY=value", the environment. load_config must answer (a Config or an
// error naming the key) without throwing or crashing.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/config.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tributary;
  using namespace tributary::fuzz;
  if (size < 1) return 0;
  std::string_view in = as_view(data + 1, size - 1);
  const std::map<std::string, std::string> no_env;
  Result<Config> config = make_error(ErrorKind::kInvalidArgument, "unset");
  if (data[0] % 2 == 0) {
    // In $TMPDIR (scripts/fuzz.sh points it into build-fuzz/).
    static const std::string path = (std::filesystem::temp_directory_path() /
                                     ("tributary-fuzz-config-" + std::to_string(::getpid()) + ".toml"))
                                        .string();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << in;
    config = load_config(path, &no_env);
  } else {
    std::map<std::string, std::string> env;
    while (!in.empty()) {
      const std::string_view line = take_line(in);
      const auto eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    config = load_config("", &env);
  }
  if (config) {
    (void)config->listen_host();
    (void)config->listen_port();
    (void)config->effective_public_url();
  } else {
    FUZZ_CHECK(!config.error().message.empty());
  }
  return 0;
}
