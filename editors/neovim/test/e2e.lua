-- Headless end-to-end test of the plugin with a real Neovim and the real server:
--   SERVER=... PLUGIN=... WS=... nvim --headless --clean -l e2e.lua
-- Opens a manifest of a copy of examples/mesh, waits for the server's diagnostics, checks a
-- rule at its line, applies a code action, checks the buffer text and that the diagnostic is
-- gone, then :AmbientReport, :AmbientFixAll, :AmbientWriteRecommendations, :checkhealth and :AmbientRefreshCluster. Exits non-zero on any failure.

local SERVER = assert(os.getenv("SERVER"), "SERVER: path of ambient-lsp")
local PLUGIN = assert(os.getenv("PLUGIN"), "PLUGIN: editors/neovim")
local WS = assert(os.getenv("WS"), "WS: a copy of examples/mesh")

local function fail(msg)
  io.stderr:write("FAIL: " .. msg .. "\n")
  os.exit(1)
end

local function check(cond, msg)
  if not cond then
    fail(msg)
  end
end

local function log(msg)
  io.stdout:write(msg .. "\n")
end

vim.opt.rtp:prepend(PLUGIN)
local plugin = require("ambient_lsp")
plugin.setup({ cmd = { SERVER, "--stdio" } })

local function lsp_diags(buf, code)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local c = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    if code == nil or c == code then
      out[#out + 1] = d
    end
  end
  return out
end

local function wait(ms, pred, what)
  if not vim.wait(ms, pred, 50) then
    fail("timed out waiting for " .. what)
  end
end

-- 1. open the namespace manifest: the plugin starts the server (the project has Istio labels)
vim.cmd.edit(WS .. "/bookinfo/namespace.yaml")
local buf = vim.api.nvim_get_current_buf()
check(vim.bo[buf].filetype == "yaml", "filetype is " .. vim.bo[buf].filetype)
wait(20000, function()
  return #plugin.get_clients(buf) > 0
end, "the server to attach")
local client = plugin.get_clients(buf)[1]
log("attached: " .. client.name .. " (" .. (client.offset_encoding or "?") .. ")")

wait(20000, function()
  return #lsp_diags(buf, "R001") > 0
end, "R001 on bookinfo/namespace.yaml")
local d = lsp_diags(buf, "R001")[1]
check(d.lnum == 3 and d.col == 8, ("R001 at %d:%d, expected 3:8"):format(d.lnum, d.col))
check(d.source == "ambient", "source " .. tostring(d.source))
log(("R001 at line %d col %d: %s"):format(d.lnum + 1, d.col + 1, d.message:gsub("\n.*", "")))

-- 2. its code action: switch the namespace labels. It is offered only once nothing blocks its
-- phase in the namespace: the fail-closed policies of authorization.yaml (R009) are emptied in
-- a buffer first (a user who moved them to the waypoint), and put back after the switch.
vim.cmd.edit(WS .. "/bookinfo/authorization.yaml")
local authz = vim.api.nvim_get_current_buf()
local authz_lines = vim.api.nvim_buf_get_lines(authz, 0, -1, false)
wait(20000, function()
  return #plugin.get_clients(authz) > 0
end, "the server to attach to authorization.yaml")
vim.api.nvim_buf_set_lines(authz, 0, -1, false, { "" })
vim.cmd.buffer(buf)
wait(20000, function()
  return #lsp_diags(authz, "R009") == 0 and #lsp_diags(buf, "R001") > 0
end, "R009 gone with the policies")
d = lsp_diags(buf, "R001")[1]
local lspdiag = d.user_data and d.user_data.lsp
check(lspdiag ~= nil, "no LSP diagnostic in user_data")
local function request_sync(method, params)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:request_sync(method, params, 10000, buf)
  end
  return client.request_sync(method, params, 10000, buf)
end
local res = request_sync("textDocument/codeAction", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = lspdiag.range,
  context = { diagnostics = { lspdiag }, only = { "quickfix" } },
})
check(res and res.result and #res.result > 0, "no code actions: " .. vim.inspect(res))
local action
for _, a in ipairs(res.result) do
  if a.title:find("Label Namespace bookinfo", 1, true) then
    action = a
  end
end
check(action ~= nil, "no label action among " .. vim.inspect(vim.tbl_map(function(a)
  return a.title
end, res.result)))
log("applying: " .. action.title)
vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
local want = table.concat({
  "apiVersion: v1",
  "kind: Namespace",
  "metadata:",
  "  name: bookinfo",
  "  labels:",
  "    team: books",
  "    istio.io/dataplane-mode: ambient",
}, "\n")
check(text == want, "buffer after the action:\n" .. vim.inspect(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) .. "\nedit: " .. vim.inspect(action.edit))
wait(20000, function()
  return #lsp_diags(buf, "R001") == 0
end, "R001 to disappear after the edit")
log("R001 gone after the edit")
vim.api.nvim_buf_set_lines(authz, 0, -1, false, authz_lines)

-- 3. :AmbientReport
vim.cmd("AmbientReport")
local rbuf = vim.api.nvim_get_current_buf()
local report = table.concat(vim.api.nvim_buf_get_lines(rbuf, 0, -1, false), "\n")
check(report:find("# Ambient migration report", 1, true), "report buffer:\n" .. report)
for _, id in ipairs({ "pre-reqs", "cluster-setup", "deploy-waypoints", "migrate-policies", "use-waypoints", "policy-simplification", "remove-sidecars" }) do
  check(report:find("%. " .. id:gsub("%-", "%%-")), "no phase " .. id .. " in the report")
end
check(report:find("**W020**", 1, true), "no W020 in the report")
-- the server's rendering (the same as VS Code's), with plain-text locations
check(report:find("| Phase | Status | Findings |", 1, true), "no phase table: not the server's Markdown")
check(report:find(" — bookinfo/namespace.yaml:", 1, true) and not report:find("](", 1, true), "locations:\n" .. report)
log("report: " .. #vim.api.nvim_buf_get_lines(rbuf, 0, -1, false) .. " lines")
vim.cmd("close")

-- 4. :AmbientFixAll on the policies
vim.cmd.edit(WS .. "/bookinfo/authorization.yaml")
local abuf = vim.api.nvim_get_current_buf()
wait(20000, function()
  return #plugin.get_clients(abuf) > 0 and #lsp_diags(abuf, "P001") > 0
end, "P001 on authorization.yaml")
local before = vim.api.nvim_buf_line_count(abuf)
vim.cmd("AmbientFixAll")
local after = vim.api.nvim_buf_line_count(abuf)
check(after > before, ("AmbientFixAll added nothing (%d → %d lines)"):format(before, after))
wait(20000, function()
  return #lsp_diags(abuf, "P001") == 0
end, "P001 to disappear after :AmbientFixAll")
log(("fix all: %d → %d lines, P001 gone"):format(before, after))

-- 4b. :AmbientWriteRecommendations without a folder asks for one; the default is a new folder
-- outside the workspace; files already there are not overwritten without asking
local asked
local real_input, real_confirm = vim.ui.input, vim.fn.confirm
vim.ui.input = function(opts, on_confirm)
  asked = opts
  on_confirm(opts.default)
end
local confirmed = {}
local confirm_answer = 2 -- Cancel
vim.fn.confirm = function(msg)
  confirmed[#confirmed + 1] = msg
  return confirm_answer
end
vim.cmd("AmbientWriteRecommendations")
check(asked and asked.default, "no folder asked for")
local out = vim.fn.fnamemodify(asked.default, ":p")
check(not vim.startswith(out, vim.fn.fnamemodify(WS, ":p")), "default folder inside the workspace: " .. out)
for _, f in ipairs(plugin.recommendation_files) do
  -- recommended-routes.yaml only when there are routes to write
  check(f == "recommended-routes.yaml" or vim.fn.filereadable(out .. f) == 1, "not written: " .. out .. f)
  check(vim.fn.filereadable(WS .. "/" .. f) == 0, "written into the workspace: " .. f)
end
check(#confirmed == 0, "asked to confirm a new folder: " .. vim.inspect(confirmed))
log("write recommendations: asked, default " .. out)
-- a folder with a commands.sh of the user's: Cancel keeps it, Write replaces it
local keep = vim.fn.tempname() .. "/"
vim.fn.mkdir(keep, "p")
vim.fn.writefile({ "echo mine" }, keep .. "commands.sh")
vim.cmd("AmbientWriteRecommendations " .. keep)
check(#confirmed == 1 and confirmed[1]:find("commands.sh", 1, true), "no confirmation: " .. vim.inspect(confirmed))
check(vim.fn.readfile(keep .. "commands.sh")[1] == "echo mine", "commands.sh overwritten after Cancel")
check(vim.fn.filereadable(keep .. "recommended-policies.yaml") == 0, "written after Cancel")
confirm_answer = 1
vim.cmd("AmbientWriteRecommendations " .. keep)
check(vim.fn.readfile(keep .. "commands.sh")[1] ~= "echo mine", "commands.sh not written after Write")
-- a folder inside the workspace: asked too (the server would read the files as applied)
confirm_answer = 2
vim.cmd("AmbientWriteRecommendations " .. WS .. "/out")
check(#confirmed == 3 and confirmed[3]:find("inside the workspace", 1, true), "no warning for the workspace: " .. vim.inspect(confirmed))
check(vim.fn.isdirectory(WS .. "/out") == 0, "written into the workspace after Cancel")
vim.ui.input, vim.fn.confirm = real_input, real_confirm
vim.fn.delete(out, "rf")
vim.fn.delete(keep, "rf")
log("write recommendations: existing files and workspace folders need a confirmation")

-- 5. :checkhealth
vim.cmd("checkhealth ambient_lsp")
local health = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
check(health:find("binary:", 1, true) and health:find("server: running", 1, true), "checkhealth:\n" .. health)
check(not health:find("ERROR", 1, true), "checkhealth reports an error:\n" .. health)
log("checkhealth ok")

-- 6. :AmbientRefreshCluster reaches the server's ambient.refreshCluster (cluster disabled by
-- default: the server says so)
vim.cmd.edit(WS .. "/bookinfo/namespace.yaml")
local r, err = plugin.refresh_cluster()
check(r == nil and type(err) == "table" and tostring(err.message):find("ambient.cluster.enabled", 1, true), "refresh_cluster: " .. vim.inspect({ r, err }))
check(vim.fn.exists(":AmbientRefreshCluster") == 2, ":AmbientRefreshCluster is not defined")
log("refresh cluster: " .. err.message)

log("PASS")
vim.cmd("qa!")
