;;; ambient-lsp.el --- ambient-lsp for Emacs through eglot  -*- lexical-binding: t; -*-

;; Emacs 28+ with eglot (built in from Emacs 29; Debian 12: elpa-eglot).  Load this file (or
;; copy its forms into your init file); `ambient-lsp' must be on `exec-path'.
;;
;;   (load "path/to/ambient-lsp/editors/emacs/ambient-lsp.el")
;;
;; The server starts for YAML buffers of projects that hold Istio / Gateway API manifests, as
;; `ambient-lsp detect ROOT' decides (the test VS Code and Neovim use), and only when it does not
;; displace another YAML server you run (see `ambient-lsp-take-over-yaml').  Your
;; `eglot-workspace-configuration' is left as it is: the `:ambient' section
;; (`ambient-lsp-settings') is added to what eglot sends to ambient-lsp, unless yours has one.
;;
;; Code actions: M-x eglot-code-actions.  The migration report: M-x ambient-lsp-report.
;; editors/emacs/test/e2e.el tests these forms in a real Emacs (run by scripts/test).

;;; Code:

(require 'eglot)
(require 'project)
(require 'seq)

(defgroup ambient-lsp nil
  "Istio sidecar to ambient migration, through eglot."
  :group 'tools)

(defcustom ambient-lsp-command '("ambient-lsp" "--stdio")
  "The server command; its first element also runs `ambient-lsp detect'."
  :type '(repeat string))

(defcustom ambient-lsp-settings '(:waypointName "waypoint")
  "The `ambient' settings of the server (plist), sent as the `:ambient' section.
An `:ambient' section of your own `eglot-workspace-configuration' wins."
  :type 'plist)

(defcustom ambient-lsp-take-over-yaml 'unless-other-server
  "Whether ambient-lsp manages YAML buffers of mesh projects.
Eglot 1.9 runs one server per buffer.  `unless-other-server' (the default): only when the
entry of `eglot-server-programs' for the mode does not name another server that is installed
\(yours, or eglot's `yaml-language-server' entry); otherwise a message says how to opt in.
t: always (ambient-lsp replaces the other YAML server in mesh projects).  nil: never."
  :type '(choice (const :tag "Unless another YAML server is configured and installed"
                        unless-other-server)
                 (const :tag "Always in mesh projects" t)
                 (const :tag "Never" nil)))

(defvar ambient-lsp--mesh-cache (make-hash-table :test #'equal)
  "Project root -> `yes' or `no': the answer of `ambient-lsp detect'.")

(defun ambient-lsp--root ()
  "The project root of the current buffer (as eglot finds it), else its directory."
  (let ((p (project-current)))
    (expand-file-name (if p (project-root p) default-directory))))

(defun ambient-lsp-mesh-project-p (root)
  "Whether ROOT holds Istio / Gateway API manifests: `ambient-lsp detect ROOT' exits 0.
The answer is cached per root."
  (let ((cached (gethash root ambient-lsp--mesh-cache)))
    (if cached
        (eq cached 'yes)
      (let* ((exe (car ambient-lsp-command))
             (mesh
              (if (not (executable-find exe))
                  (progn (message "ambient-lsp: %s is not on exec-path" exe) nil)
                (with-temp-buffer
                  (let ((code (call-process exe nil t nil "detect" (file-local-name root))))
                    (pcase code
                      (0 t)
                      (1 nil)
                      (_ (message "ambient-lsp: `%s detect %s' failed (%s): %s" exe root code
                                  (string-trim (buffer-string)))
                         nil)))))))
        (puthash root (if mesh 'yes 'no) ambient-lsp--mesh-cache)
        mesh))))

(defun ambient-lsp--entry-modes (modes)
  "The major modes of an `eglot-server-programs' key MODES (as eglot reads it)."
  (mapcar (lambda (m) (if (consp m) (car m) m))
          (if (and (listp modes) (not (keywordp (cadr modes)))) modes (list modes))))

(defun ambient-lsp--other-server (mode)
  "The program of the server eglot would run for MODE, when it is not ambient-lsp and runs.
A contact eglot computes (a function) counts as another server."
  (let* ((entry (seq-find (lambda (e) (memq mode (ambient-lsp--entry-modes (car e))))
                          eglot-server-programs))
         (contact (cdr entry))
         (program (cond ((functionp contact) "a server chosen by a function")
                        ((and (consp contact) (stringp (car contact))) (car contact))
                        ((and (consp contact) (symbolp (car contact)) (stringp (cadr contact)))
                         (cadr contact)))))
    (cond ((null entry) nil)
          ((null program) (format "%S" contact))
          ((functionp contact) program)
          ((equal (file-name-nondirectory program)
                  (file-name-nondirectory (car ambient-lsp-command)))
           nil)
          ((executable-find program) program))))

(defun ambient-lsp-maybe-start ()
  "Start ambient-lsp (through `eglot-ensure') if this buffer's project is a mesh project."
  (when (and buffer-file-name ambient-lsp-take-over-yaml)
    (let ((root (ambient-lsp--root)))
      (when (ambient-lsp-mesh-project-p root)
        (let ((other (ambient-lsp--other-server major-mode)))
          (if (and other (eq ambient-lsp-take-over-yaml 'unless-other-server))
              (message "ambient-lsp: not started in %s: eglot runs %s for %s; set \
`ambient-lsp-take-over-yaml' to t to use ambient-lsp in mesh projects" root other major-mode)
            ;; only this buffer sees the entry: other YAML buffers keep the user's servers
            (setq-local eglot-server-programs
                        (cons (cons (list major-mode) ambient-lsp-command)
                              (default-value 'eglot-server-programs)))
            (eglot-ensure)))))))

(defun ambient-lsp--recheck-after-save ()
  "A saved manifest may turn a project into a mesh project: ask `detect' again."
  (when (and (memq major-mode '(yaml-mode yaml-ts-mode)) (not (eglot-current-server)))
    (remhash (ambient-lsp--root) ambient-lsp--mesh-cache)
    (ambient-lsp-maybe-start)))

(defun ambient-lsp--server-p (server)
  "Whether SERVER runs ambient-lsp."
  (let ((proc (ignore-errors (jsonrpc--process server))))
    (and proc
         (seq-some (lambda (arg)
                     (equal (file-name-nondirectory arg)
                            (file-name-nondirectory (car ambient-lsp-command))))
                   (process-command proc)))))

(defun ambient-lsp--add-settings (orig server &rest args)
  "Around `eglot--workspace-configuration-plist': add `:ambient' for ambient-lsp's SERVER.
The user's `eglot-workspace-configuration' (plist, alist, function or directory-local) is
read by eglot as usual (ORIG); it is never modified."
  (let ((conf (apply orig server args)))
    (if (and server (ambient-lsp--server-p server) (listp conf)
             (not (plist-member conf :ambient)) (not (plist-member conf 'ambient)))
        (append conf (list :ambient ambient-lsp-settings))
      conf)))

(advice-add 'eglot--workspace-configuration-plist :around #'ambient-lsp--add-settings)

(add-hook 'yaml-mode-hook #'ambient-lsp-maybe-start)
(add-hook 'yaml-ts-mode-hook #'ambient-lsp-maybe-start)
(add-hook 'after-save-hook #'ambient-lsp--recheck-after-save)

(defun ambient-lsp-report ()
  "Show the migration report of the workspace (rendered by the server)."
  (interactive)
  (let* ((res (jsonrpc-request (eglot--current-server-or-lose)
                               :workspace/executeCommand
                               '(:command "ambient.migrationReport"
                                 :arguments [(:format "markdown" :links "file")])))
         (buf (get-buffer-create "*ambient migration report*")))
    (with-current-buffer buf
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (plist-get res :markdown))
        (goto-char (point-min)))
      (if (fboundp 'markdown-mode) (markdown-mode) (text-mode))
      (setq buffer-read-only t))
    (display-buffer buf)
    buf))

(provide 'ambient-lsp)
;;; ambient-lsp.el ends here
