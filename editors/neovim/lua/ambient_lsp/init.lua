-- ambient-lsp for Neovim: starts the language server for YAML buffers whose project holds
-- Istio / Gateway API resources (as `ambient-lsp detect` decides), and adds :AmbientReport, :AmbientFixAll,
-- :AmbientWriteRecommendations and :AmbientRefreshCluster. Works on Neovim 0.8+ (vim.lsp.start); 0.7 through
-- vim.lsp.start_client.

local M = {}

M.name = "ambient_lsp"

local defaults = {
  -- the server command; `ambient-lsp` on PATH by default
  cmd = { "ambient-lsp", "--stdio" },
  filetypes = { "yaml" },
  -- the `ambient` settings of the server (contract §3)
  settings = {
    phases = nil,
    waypointName = "waypoint",
    maxFileSizeKb = 16384,
    -- compare the workspace with the live cluster of `context` (nil: the kubeconfig's current
    -- context), read-only; drift shows as DRIFT-* information diagnostics
    cluster = { enabled = false, context = nil },
  },
  -- start only in projects with Istio / Gateway API manifests
  require_mesh = true,
  root_markers = { ".git" },
}

M.config = vim.deepcopy(defaults)

local mesh_cache = {}

local function dirname(path)
  return vim.fn.fnamemodify(path, ":h")
end

--- The project root of a file: the nearest directory with a root marker, else its directory.
function M.root_of(path)
  local dir = dirname(path)
  local found = vim.fs and vim.fs.find and vim.fs.find(M.config.root_markers, { upward = true, path = dir })[1]
  if found then
    return dirname(found)
  end
  return dir
end

--- Whether the project holds Istio / Gateway API resources (cached per root). The server
--- decides (`ambient-lsp detect ROOT`, server/src/detect.rs), as it does for VS Code.
function M.root_has_mesh(root)
  if mesh_cache[root] ~= nil then
    return mesh_cache[root]
  end
  local exe = M.config.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    vim.notify(("ambient-lsp: %q is not an executable (install it with `cargo install --path server`, or set cmd in setup())"):format(exe), vim.log.levels.ERROR)
    mesh_cache[root] = false
    return false
  end
  -- a binary that is not a working ambient-lsp (exits at once, crashes, wrong program) is
  -- reported here, not taken for "no mesh resources" (`detect` exits 1 for that)
  local version = vim.fn.system({ exe, "--version" })
  if vim.v.shell_error ~= 0 or not vim.startswith(version, "ambient-lsp ") then
    vim.notify(("ambient-lsp: %q is not a working ambient-lsp (`%s --version`: exit %d%s); the server is not started"):format(
      exe, exe, vim.v.shell_error, vim.trim(version) ~= "" and (", " .. vim.trim(version):gsub("\n.*", "")) or ""), vim.log.levels.ERROR)
    mesh_cache[root] = false
    return false
  end
  local out = vim.fn.system({ exe, "detect", root })
  local code = vim.v.shell_error
  if code == 0 then
    mesh_cache[root] = true
  elseif code == 1 then
    mesh_cache[root] = false
  else
    vim.notify(("ambient-lsp: `%s detect` failed (exit %d): %s"):format(exe, code, vim.trim(out)), vim.log.levels.ERROR)
    mesh_cache[root] = false
  end
  return mesh_cache[root]
end

local function client_config(root)
  return {
    name = M.name,
    cmd = M.config.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
    settings = { ambient = M.config.settings },
    init_options = M.config.settings,
    -- a server that dies (crash, killed, exits at start) is reported; a clean exit is not
    on_exit = function(code, signal)
      if code ~= 0 or (signal or 0) ~= 0 then
        vim.schedule(function()
          vim.notify(("ambient-lsp: the server %s exited (%s); see :LspLog. Restart it with :e or :LspRestart"):format(
            M.config.cmd[1], (signal or 0) ~= 0 and ("signal " .. signal) or ("exit code " .. code)), vim.log.levels.ERROR)
        end)
      end
    end,
  }
end

local function get_clients(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.name, bufnr = bufnr })
  end
  local out = {}
  for _, c in pairs(vim.lsp.get_active_clients()) do
    if c.name == M.name and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, c.id)) then
      out[#out + 1] = c
    end
  end
  return out
end
M.get_clients = get_clients

local started_07 = {}

--- Start (or attach) the server for a buffer.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" then
    return
  end
  local root = M.root_of(path)
  if M.config.require_mesh and not M.root_has_mesh(root) then
    return
  end
  local cfg = client_config(root)
  if vim.lsp.start then
    return vim.lsp.start(cfg, { bufnr = bufnr })
  end
  -- Neovim 0.7
  local id = started_07[root]
  if not id then
    id = vim.lsp.start_client(cfg)
    started_07[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

local function request_sync(client, method, params, timeout, bufnr)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:request_sync(method, params, timeout, bufnr)
  end
  return client.request_sync(method, params, timeout, bufnr)
end

local function the_client(bufnr)
  local clients = get_clients(bufnr)
  if #clients == 0 then
    clients = get_clients(nil)
  end
  if #clients == 0 then
    vim.notify("ambient-lsp is not running for this buffer", vim.log.levels.WARN)
    return nil
  end
  return clients[1]
end

--- :AmbientReport — the migration report in a scratch buffer.
function M.report()
  local client = the_client(vim.api.nvim_get_current_buf())
  if not client then
    return
  end
  -- rendered by the server (server/src/report/markdown.rs), as in VS Code; plain text
  -- locations, since the buffer shows the Markdown source
  local res = request_sync(client, "workspace/executeCommand", {
    command = "ambient.migrationReport",
    arguments = { { format = "markdown", links = "none" } },
  }, 30000)
  if not res or res.err or type(res.result) ~= "table" or type(res.result.markdown) ~= "string" then
    vim.notify("ambient-lsp: no report (" .. vim.inspect(res and (res.err or res.result)) .. ")", vim.log.levels.ERROR)
    return
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(res.result.markdown, "\n", { plain = true }))
  vim.bo[buf].filetype = "markdown"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].modifiable = false
  pcall(vim.api.nvim_buf_set_name, buf, "ambient://migration-report")
  vim.cmd("split")
  vim.api.nvim_win_set_buf(0, buf)
  return buf
end

--- :AmbientFixAll — every fix of the current file (source.fixAll.ambient), applied.
function M.fix_all(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = the_client(bufnr)
  if not client then
    return false
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
    context = { diagnostics = {}, only = { "source.fixAll.ambient" } },
  }
  local res = request_sync(client, "textDocument/codeAction", params, 10000, bufnr)
  local actions = res and res.result or {}
  if #actions == 0 then
    vim.notify("ambient-lsp: nothing to fix in this file", vim.log.levels.INFO)
    return false
  end
  vim.lsp.util.apply_workspace_edit(actions[1].edit, client.offset_encoding)
  return true
end

-- the files `ambient.writeRecommendations` writes (contract: the CLI's --output-dir)
M.recommendation_files = { "recommended-waypoints.yaml", "recommended-policies.yaml", "recommended-routes.yaml", "commands.sh" }

local function write_into(client, dir)
  dir = vim.fn.fnamemodify(vim.fn.expand(dir), ":p")
  local existing = {}
  for _, f in ipairs(M.recommendation_files) do
    if (vim.uv or vim.loop).fs_stat(dir .. f) then
      existing[#existing + 1] = f
    end
  end
  local root = client.config and client.config.root_dir
  local inside = root and vim.startswith(dir, vim.fn.fnamemodify(root, ":p"))
  local overwrite = false
  if #existing > 0 or inside then
    local why = {}
    if #existing > 0 then
      why[#why + 1] = ("%s already hold%s %s: overwrite?"):format(dir, #existing == 1 and "s" or "", table.concat(existing, ", "))
    end
    if inside then
      why[#why + 1] = ("%s is inside the workspace: the server will read the written manifests as if they were applied."):format(dir)
    end
    if vim.fn.confirm("ambient-lsp: " .. table.concat(why, "\n"), "&Write\n&Cancel", 2) ~= 1 then
      vim.notify("ambient-lsp: nothing written", vim.log.levels.INFO)
      return false
    end
    -- the user said Write: the server replaces files it did not write only when told so
    overwrite = #existing > 0
  end
  vim.fn.mkdir(dir, "p")
  local arg = overwrite and { folder = dir, overwrite = true } or dir
  local res = request_sync(client, "workspace/executeCommand", { command = "ambient.writeRecommendations", arguments = { arg } }, 30000)
  if res and res.result then
    vim.notify(("ambient-lsp: wrote %d waypoint(s) and %d policies to %s"):format(res.result.waypoints, res.result.policies, dir))
    return true
  end
  vim.notify("ambient-lsp: " .. vim.inspect(res and res.err), vim.log.levels.ERROR)
  return false
end

--- :AmbientWriteRecommendations [dir]: without a folder, asks for one (default: a new
--- folder outside the workspace); never overwrites files without asking.
function M.write_recommendations(dir)
  local client = the_client(vim.api.nvim_get_current_buf())
  if not client then
    return
  end
  if dir and dir ~= "" then
    return write_into(client, dir)
  end
  vim.ui.input({
    prompt = "Write the recommended manifests into: ",
    -- a new folder outside the workspace (not Neovim's tempname(): deleted when Neovim exits)
    default = ("%s/ambient-recommendations-%s-%s/"):format(
      (vim.uv or vim.loop).os_tmpdir(),
      vim.fn.fnamemodify(client.config and client.config.root_dir or vim.fn.getcwd(), ":t"),
      os.date("%Y%m%d-%H%M%S")
    ),
    completion = "dir",
  }, function(input)
    if input and input ~= "" then
      write_into(client, input)
    end
  end)
end

--- :AmbientRefreshCluster — read the live cluster again (with cluster.enabled).
function M.refresh_cluster()
  local client = the_client(vim.api.nvim_get_current_buf())
  if not client then
    return
  end
  local res = request_sync(client, "workspace/executeCommand", { command = "ambient.refreshCluster", arguments = {} }, 120000)
  if res and res.result then
    local r = res.result
    vim.notify(("ambient-lsp: read %d objects from context %q (%s)"):format(r.objects, r.context, r.server))
    return r
  end
  local err = res and res.err
  vim.notify("ambient-lsp: " .. ((type(err) == "table" and err.message) or vim.inspect(err)), vim.log.levels.ERROR)
  return nil, err
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  mesh_cache = {}
  local group = vim.api.nvim_create_augroup("ambient_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  -- a saved manifest may turn a project into a mesh project: ask again
  vim.api.nvim_create_autocmd("BufWritePost", {
    group = group,
    callback = function(args)
      if vim.tbl_contains(M.config.filetypes, vim.bo[args.buf].filetype) and #get_clients(args.buf) == 0 then
        mesh_cache[M.root_of(vim.api.nvim_buf_get_name(args.buf))] = nil
        M.attach(args.buf)
      end
    end,
  })
  vim.api.nvim_create_user_command("AmbientReport", function()
    M.report()
  end, { desc = "ambient-lsp: show the migration report" })
  vim.api.nvim_create_user_command("AmbientFixAll", function()
    M.fix_all()
  end, { desc = "ambient-lsp: apply every migration fix of this file" })
  vim.api.nvim_create_user_command("AmbientWriteRecommendations", function(a)
    M.write_recommendations(a.args)
  end, { nargs = "?", complete = "dir", desc = "ambient-lsp: write the recommended manifests into a folder" })
  vim.api.nvim_create_user_command("AmbientRefreshCluster", function()
    M.refresh_cluster()
  end, { desc = "ambient-lsp: read the live cluster again (settings.cluster.enabled)" })
  -- buffers already open
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.tbl_contains(M.config.filetypes, vim.bo[b].filetype) then
      M.attach(b)
    end
  end
end

return M
