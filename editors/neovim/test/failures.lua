-- Headless test of the plugin with servers that fail (run by run.sh):
--   SERVER=... PLUGIN=... WS=... BAD=<dir of fake servers> nvim --headless --clean -l failures.lua
-- A binary that exits at once (/bin/false) and one that crashes when started as a server
-- (SIGSEGV) must each be reported with an ERROR vim.notify, not taken for "no mesh".
local PLUGIN = assert(os.getenv("PLUGIN"), "PLUGIN: editors/neovim")
local WS = assert(os.getenv("WS"), "WS: a copy of examples/mesh")
local BAD = assert(os.getenv("BAD"), "BAD: dir with crash.sh")

local function fail(msg)
  io.stderr:write("FAIL: " .. msg .. "\n")
  os.exit(1)
end

local function log(msg)
  io.stdout:write(msg .. "\n")
end

local notes = {}
vim.notify = function(msg, level)
  notes[#notes + 1] = { msg = msg, level = level }
end

local function errors()
  local out = {}
  for _, n in ipairs(notes) do
    if n.level == vim.log.levels.ERROR then
      out[#out + 1] = n.msg
    end
  end
  return out
end

vim.opt.rtp:prepend(PLUGIN)
local plugin = require("ambient_lsp")

local cases = {
  { cmd = "/bin/false", want = "is not a working ambient%-lsp" },
  -- answers --version and detect like the real server, dies with SIGSEGV as a server
  { cmd = BAD .. "/crash.sh", want = "exited %(signal 11%)" },
}
for i, case in ipairs(cases) do
  notes = {}
  plugin.setup({ cmd = { case.cmd, "--stdio" } })
  vim.cmd.edit(WS .. (i == 1 and "/bookinfo/namespace.yaml" or "/bookinfo/services.yaml"))
  if not vim.wait(10000, function() return #errors() > 0 end, 50) then
    fail(("%s: no error notification (notifications: %s)"):format(case.cmd, vim.inspect(notes)))
  end
  local msg = table.concat(errors(), "\n")
  if not msg:find(case.want) then
    fail(("%s: notification %q does not match %q"):format(case.cmd, msg, case.want))
  end
  log(case.cmd .. ": " .. msg)
end
log("PASS")
vim.cmd("qa!")
