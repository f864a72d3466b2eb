# wrk's arguments of each bench scenario: sourced by compare.sh,
# server_profile.sh and syscalls_per_request.sh, so that they load a
# server alike. Needs WRK_DIR (this directory).
wrk_args() { # wrk_args SCENARIO PORT
    local p="$2"
    case "$1" in
        ka64) echo "-c64 http://127.0.0.1:$p/" ;;
        pipe16) echo "-c64 -s $WRK_DIR/pipeline.lua http://127.0.0.1:$p/ -- 16" ;;
        pipe16v) echo "-c64 -s $WRK_DIR/pipeline.lua http://127.0.0.1:$p/ -- 16 distinct" ;;
        c1) echo "-c1 http://127.0.0.1:$p/" ;;
        c1000) echo "-c1000 http://127.0.0.1:$p/" ;;
        close) echo "-c64 -s $WRK_DIR/close.lua http://127.0.0.1:$p/" ;;
        post4k) echo "-c64 -s $WRK_DIR/post4k.lua http://127.0.0.1:$p/echo" ;;
        post64k) echo "-c16 -s $WRK_DIR/post64k.lua http://127.0.0.1:$p/echo" ;;
        file1k) echo "-c64 http://127.0.0.1:$p/file1k.bin" ;;
        file1m) echo "-c16 http://127.0.0.1:$p/file1m.bin" ;;
        range) echo "-c64 -s $WRK_DIR/range.lua http://127.0.0.1:$p/" ;;
        tls_ka64) echo "-c64 https://127.0.0.1:$p/" ;;
        tls_new | tls_new_full) echo "-c64 -s $WRK_DIR/close.lua https://127.0.0.1:$p/" ;;
        tls_file1m) echo "-c16 https://127.0.0.1:$p/file1m.bin" ;;
    esac
}
