import sys


def main():
    print('quokka-manage: nothing to do')
    return 0


if __name__ == '__main__':
    sys.exit(main())
