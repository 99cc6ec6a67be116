-- chdkptp camera-side file helpers (Lua 5.1, CHDK).  Prepended (after serialize.lua) to the
-- scripts chdkptp.files runs for stat, listing, walking, removing, creating directories and
-- setting modification times.  The host appends one call such as
-- `return chdkptp_stat("A/DCIM")` whose arguments are written by chdkptp.lua.dumps, so no path
-- is ever spliced into Lua source by hand.  Every function returns true plus a value, or false
-- plus a message; listings travel as batches of entries sent with write_usb_msg (a directory
-- of thousands of images never has to fit in one message).

-- Join a directory and a name with exactly one "/".
local function chdkptp_join(dir, name)
  if string.sub(dir, -1) == "/" then
    return dir .. name
  end
  return dir .. "/" .. name
end

-- stat(path) -> true, {s=size, m=mtime, d=is_dir} | false, message.  Some DryOS versions
-- cannot stat the card root: a path that lists is a directory then.
function chdkptp_stat(path)
  local st, err = os.stat(path)
  if not st then
    if os.listdir(path) then
      return true, {s = 0, m = 0, d = true}
    end
    return false, tostring(err)
  end
  return true, {s = st.size or 0, m = st.mtime or 0, d = st.is_dir and true or false}
end

-- List `path` (a directory) and, down to max_depth levels below it (-1: no limit), its
-- subdirectories.  Entries go to the host in batches of `batch` with write_usb_msg; each is
-- {r=path relative to `path`, s=size, m=mtime, d=is_dir}, a directory before its contents.
-- A subdirectory that cannot be listed becomes {r=..., e=message}.  The last message is the
-- end marker {n=count}.  Returns true, count (or false, message before anything was sent).
function chdkptp_list(path, max_depth, batch)
  local ok, st = chdkptp_stat(path)
  if not ok then
    return false, st
  end
  if not st.d then
    return false, path .. ": not a directory"
  end
  local out, n, count = {}, 0, 0
  local function flush()
    if n > 0 then
      if not write_usb_msg(out, 60000) then
        error("chdkptp_list: the host did not read the listing")
      end
      out, n = {}, 0
    end
  end
  local function put(e)
    n = n + 1
    out[n] = e
    count = count + 1
    if n >= batch then
      flush()
    end
  end
  local function walk(dir, rel, depth)
    local names, lerr = os.listdir(dir)
    if not names then
      put({r = rel, e = tostring(lerr)})
      return
    end
    table.sort(names)
    local subdirs = {}
    for i = 1, #names do
      local name = names[i]
      if name ~= "." and name ~= ".." and name ~= "" then
        local full = chdkptp_join(dir, name)
        local r = name
        if rel ~= "" then
          r = rel .. "/" .. name
        end
        local est, serr = os.stat(full)
        if est then
          local isdir = est.is_dir and true or false
          put({r = r, s = est.size or 0, m = est.mtime or 0, d = isdir})
          if isdir then
            subdirs[#subdirs + 1] = {full, r}
          end
        else
          put({r = r, e = tostring(serr)})
        end
      end
    end
    if max_depth < 0 or depth < max_depth then
      for i = 1, #subdirs do
        walk(subdirs[i][1], subdirs[i][2], depth + 1)
      end
    end
  end
  walk(path, "", 0)
  flush()
  -- The end marker goes through the queue too: write_usb_msg waits for room, while return
  -- values that find the queue full are dropped by CHDK.
  if not write_usb_msg({n = count}, 60000) then
    error("chdkptp_list: the host did not read the listing")
  end
  return true, count
end

-- Remove each path of `paths`; directories only when empty unless `recursive`.
-- Missing paths are an error unless `missing_ok`.  Returns true, removed count.
function chdkptp_remove(paths, recursive, missing_ok)
  local removed = 0
  local function rm(p)
    local st, err = os.stat(p)
    if not st then
      if missing_ok then
        return true
      end
      return false, tostring(err)
    end
    if st.is_dir and recursive then
      local names, lerr = os.listdir(p)
      if not names then
        return false, tostring(lerr)
      end
      for i = 1, #names do
        local name = names[i]
        if name ~= "." and name ~= ".." and name ~= "" then
          local ok, rerr = rm(chdkptp_join(p, name))
          if not ok then
            return false, rerr
          end
        end
      end
    end
    local ok, rerr = os.remove(p)
    if not ok then
      return false, tostring(rerr)
    end
    removed = removed + 1
    return true
  end
  for i = 1, #paths do
    local ok, err = rm(paths[i])
    if not ok then
      return false, err, removed
    end
  end
  return true, removed
end

-- Create each directory of `paths` with its missing parents (the first component, the card
-- root "A", always exists).  Returns true, created count.
function chdkptp_mkdirs(paths)
  local created = 0
  for i = 1, #paths do
    local prefix = nil
    for part in string.gmatch(paths[i], "[^/]+") do
      if prefix == nil then
        prefix = part
      else
        prefix = prefix .. "/" .. part
        local st = os.stat(prefix)
        if not st then
          local ok, err = os.mkdir(prefix)
          if not ok then
            return false, tostring(err)
          end
          created = created + 1
        elseif not st.is_dir then
          return false, prefix .. ": exists and is not a directory"
        end
      end
    end
  end
  return true, created
end

-- Set the modification time of `path`; returns true, {s=size, m=mtime, d=is_dir} afterwards.
function chdkptp_utime(path, mtime)
  local ok, err = os.utime(path, mtime)
  if not ok then
    return false, tostring(err)
  end
  return chdkptp_stat(path)
end
