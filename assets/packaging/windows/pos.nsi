; 智能收银台 POS — the Windows x86-64 installer (NSIS 3, Debian's nsis package).
; Built by assets/packaging/package.sh, warnings as errors:
;   makensis -WX -INPUTCHARSET UTF8 -DVERSION=0.1.0+git361.gabc -DWINVER=0.1.0.361
;     -DEXE=dist/pos.exe -DICON=pos.ico -DFONTLICENSE=... -DOUTFILE=... pos.nsi
;
; What it does:
; - installs pos.exe into Program Files\PosCashier, with Start-menu and desktop
;   shortcuts for all users and an entry in Add/Remove Programs;
; - upgrades in place: a later installer finds the earlier folder in the
;   registry and skips the folder page; an earlier version over a later one
;   asks first (the program refuses a database a later version has upgraded);
; - refuses to replace a running pos.exe: it asks to close it (Retry/Cancel);
; - the uninstaller removes the program and keeps the data folder
;   (%AppData%\cn.poscashier.pos) unless the box to delete it is ticked.

!ifndef VERSION | WINVER | EXE | ICON | FONTLICENSE | OUTFILE
  !error "package.sh passes VERSION, WINVER, EXE, ICON, FONTLICENSE and OUTFILE"
!endif

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
ManifestDPIAware true
RequestExecutionLevel admin
; A file that cannot be written (a pos.exe started from elsewhere) offers
; Retry and Cancel, never Ignore: a half-upgraded folder is worse than none.
AllowSkipFiles off

!define APPID "cn.poscashier.pos"
!define PRODUCT "智能收银台"
!define DIRNAME "PosCashier"
!define REGKEY "Software\${APPID}"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPID}"

Name "${PRODUCT} POS"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${DIRNAME}"
InstallDirRegKey HKLM "${REGKEY}" "InstallDir"
BrandingText "${PRODUCT} ${VERSION}"

!include MUI2.nsh
!include LogicLib.nsh
!include x64.nsh
!include FileFunc.nsh
!include WordFunc.nsh

Var PreviousVersion ; the numeric version of the install found, "" if none

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
; No "run now" box on the last page: the installer runs elevated, and the
; program started from it would keep its data in the administrator's folder.

!insertmacro MUI_PAGE_WELCOME
!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipFolderOnUpgrade
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; Chinese first: Windows picks the user's language when it is one of these.
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

LangString Need64 ${LANG_SIMPCHINESE} "智能收银台需要 64 位 Windows。"
LangString Need64 ${LANG_ENGLISH} "POS Cashier needs 64-bit Windows."
LangString Running ${LANG_SIMPCHINESE} "智能收银台正在运行。$\r$\n$\r$\n请先完成或挂起当前交易，退出程序，再点“重试”。点“取消”则不做任何改动。"
LangString Running ${LANG_ENGLISH} "POS Cashier is running.$\r$\n$\r$\nFinish or hold the current sale, close the program, then click Retry. Cancel changes nothing."
LangString Older ${LANG_SIMPCHINESE} "这台电脑上装的是较新的版本（$PreviousVersion），本安装程序是 ${WINVER}。$\r$\n$\r$\n如果数据已被新版本升级，旧版本会拒绝打开它（数据不会被改动）。仍要安装旧版本吗？"
LangString Older ${LANG_ENGLISH} "A later version ($PreviousVersion) is installed; this installer is ${WINVER}.$\r$\n$\r$\nIf that version has upgraded the data, the earlier one refuses to open it (the data is left unchanged). Install the earlier version anyway?"
LangString ProgramSection ${LANG_SIMPCHINESE} "程序、快捷方式和注册表项"
LangString ProgramSection ${LANG_ENGLISH} "Program, shortcuts and registry entries"
LangString DataSection ${LANG_SIMPCHINESE} "同时删除数据文件夹"
LangString DataSection ${LANG_ENGLISH} "Also delete the data folder"
LangString DataSectionInfo ${LANG_SIMPCHINESE} "删除 %AppData%\${APPID}：数据库（订单、支付、押金、交接班）、设置、渠道证书和备份。不勾选则保留，重新安装后继续使用。只删除当前 Windows 用户的数据。"
LangString DataSectionInfo ${LANG_ENGLISH} "Deletes %AppData%\${APPID}: the database (orders, payments, deposits, shifts), settings, channel certificates and backups. Unticked, it stays and a reinstall carries on with it. Only the current Windows user's data."
LangString ProgramSectionInfo ${LANG_SIMPCHINESE} "删除 $INSTDIR 中的程序、开始菜单和桌面快捷方式，以及“应用和功能”中的条目。"
LangString ProgramSectionInfo ${LANG_ENGLISH} "Removes the program in $INSTDIR, the Start-menu and desktop shortcuts and the Add/Remove Programs entry."

VIProductVersion "${WINVER}"
VIFileVersion "${WINVER}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductName" "${PRODUCT} POS"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileDescription" "${PRODUCT} 安装程序"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileVersion" "${WINVER}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "LegalCopyright" "${PRODUCT} POS"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "POS Cashier"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "POS Cashier setup"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${WINVER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "POS Cashier"

; WaitUntilClosed asks until no pos.exe runs (Retry) or the person gives up
; (Cancel, and in a silent install): then the install or uninstall stops
; before it has changed anything. tasklist sees every user's processes.
!macro WAIT_UNTIL_CLOSED un
Function ${un}WaitUntilClosed
  retry:
    nsExec::ExecToStack '"$SYSDIR\cmd.exe" /d /c tasklist /nh /fi "IMAGENAME eq pos.exe" | "$SYSDIR\find.exe" /i "pos.exe"'
    Pop $0 ; find's exit code: 0 when pos.exe is in the list
    Pop $1
    ${If} $0 == 0
      MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(Running)" /SD IDCANCEL IDRETRY retry
      SetErrorLevel 2
      Quit
    ${EndIf}
FunctionEnd
!macroend
!insertmacro WAIT_UNTIL_CLOSED ""
!insertmacro WAIT_UNTIL_CLOSED "un."

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "$(Need64)" /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  SetRegView 64
  ReadRegStr $PreviousVersion HKLM "${REGKEY}" "NumericVersion"
  ${If} $PreviousVersion != ""
    ${VersionCompare} "$PreviousVersion" "${WINVER}" $0 ; 1: the installed one is later
    ${If} $0 == 1
      MessageBox MB_YESNO|MB_ICONEXCLAMATION "$(Older)" /SD IDNO IDYES downgrade
      SetErrorLevel 2
      Quit
      downgrade:
    ${EndIf}
  ${EndIf}
FunctionEnd

; An upgrade goes where the earlier version is (InstallDirRegKey found it).
Function SkipFolderOnUpgrade
  ${If} $PreviousVersion != ""
    Abort
  ${EndIf}
FunctionEnd

Section "-Program"
  Call WaitUntilClosed
  SetOutPath "$INSTDIR"
  File "/oname=pos.exe" "${EXE}"
  File "/oname=LICENSE-NotoSansCJK.txt" "${FONTLICENSE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  SetShellVarContext all
  CreateDirectory "$SMPROGRAMS\${PRODUCT}"
  CreateShortcut "$SMPROGRAMS\${PRODUCT}\${PRODUCT}.lnk" "$INSTDIR\pos.exe"
  CreateShortcut "$SMPROGRAMS\${PRODUCT}\卸载 Uninstall.lnk" "$INSTDIR\uninstall.exe"
  CreateShortcut "$DESKTOP\${PRODUCT}.lnk" "$INSTDIR\pos.exe"

  WriteRegStr HKLM "${REGKEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${REGKEY}" "Version" "${VERSION}"
  WriteRegStr HKLM "${REGKEY}" "NumericVersion" "${WINVER}"

  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "${PRODUCT} POS"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\pos.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "${PRODUCT}"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" "$0"
SectionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Section "un.$(ProgramSection)" UnProgram
  SectionIn RO
  Call un.WaitUntilClosed
  SetShellVarContext all
  Delete "$DESKTOP\${PRODUCT}.lnk"
  RMDir /r "$SMPROGRAMS\${PRODUCT}"
  Delete "$INSTDIR\pos.exe"
  Delete "$INSTDIR\LICENSE-NotoSansCJK.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTKEY}"
  DeleteRegKey HKLM "${REGKEY}"
SectionEnd

; Unticked unless the person ticks it: the data outlives the program.
Section /o "un.$(DataSection)" UnData
  SetShellVarContext current
  RMDir /r "$APPDATA\${APPID}"
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnProgram} "$(ProgramSectionInfo)"
  !insertmacro MUI_DESCRIPTION_TEXT ${UnData} "$(DataSectionInfo)"
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END
