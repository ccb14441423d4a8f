import TollgateCore
print("tollgate")
