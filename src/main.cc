// tributary: the command line. Subcommands are thin: each parses its flags and calls into app/.
#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"Tributary: upstream-webhook relay for HR and recruiting systems"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
