// Precompiled header for the http module: Asio and Beast are the slowest headers to compile on 2 cores.
#pragma once
#include <boost/asio.hpp>
#include <boost/beast.hpp>
