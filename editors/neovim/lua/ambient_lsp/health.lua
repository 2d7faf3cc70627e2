-- :checkhealth ambient_lsp — the binary, its version and the server status.

local M = {}

local health = vim.health or require("health")
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

function M.check()
  start("ambient-lsp")
  local plugin = require("ambient_lsp")
  local cmd = plugin.config.cmd or { "ambient-lsp" }
  local exe = cmd[1]
  local path = vim.fn.exepath(exe)
  if path == "" then
    error(("binary %q not found (install it with `cargo install --path server`, or set cmd in setup())"):format(exe))
  else
    ok("binary: " .. path)
    local out = vim.fn.system({ path, "--version" })
    if vim.v.shell_error == 0 then
      ok("version: " .. vim.trim(out))
    else
      error("`" .. path .. " --version` failed: " .. vim.trim(out))
    end
  end
  if vim.fn.has("nvim-0.8") == 0 then
    warn("Neovim " .. tostring(vim.version and vim.version() or "< 0.8") .. ": running through vim.lsp.start_client (0.8+ recommended)")
  end
  local clients = plugin.get_clients(nil)
  if #clients == 0 then
    info("server: not running (open a YAML file of a project with Istio or Gateway API manifests)")
  else
    for _, c in ipairs(clients) do
      local root = (c.config and c.config.root_dir) or "?"
      ok(("server: running (client id %d, root %s, position encoding %s)"):format(c.id, root, c.offset_encoding or "?"))
    end
  end
end

return M
